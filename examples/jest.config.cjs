module.exports = { ...require('../jest.preset.cjs'), displayName: 'examples', testMatch: ['<rootDir>/*.spec.ts'] };
