// The unit tier runs without the native addon: any attempt to load it fails.
process.env.SENET_ADDON = '/nonexistent/the-unit-tier-must-not-load-the-addon.node';
