// Shared jest settings for every package. Tests resolve sibling packages to their TypeScript
// sources through the "@apogee/source" export condition, so no build is needed before testing.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@apogee/source', 'node', 'require', 'default'],
  },
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        tsconfig: path.join(__dirname, 'tsconfig.spec.json'),
        diagnostics: false,
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/README.spec.ts'],
  setupFiles: [path.join(__dirname, 'tools', 'jest-setup.cjs')],
  // Real tensors and real training: give slow machines room, but never assert on time.
  testTimeout: 120000,
};
