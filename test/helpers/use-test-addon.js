// jest setupFiles: every test file (and the CLI processes the tests spawn)
// loads the test addon, which has the product's exports plus the test hooks.
const path = require('path');

process.env.SENET_ADDON ??= path.join(__dirname, '..', '..', 'build', 'Release', 'senet_lab_testing.node');
