"""newsmon: watch Chinese financial and policy news spread and measure the market reaction."""
