module.exports = { ...require('../../jest.preset.cjs'), displayName: 'model-kit' };
