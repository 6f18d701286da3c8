// The publish test packs and installs real tarballs: no source condition, no transform of them.
module.exports = { ...require('../jest.preset.cjs'), displayName: 'e2e', testTimeout: 600000 };
