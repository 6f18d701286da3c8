// The README's usage example: it must keep working.
import 'reflect-metadata';
import { PreferenceWorld } from './src';

it('README example runs', () => {
  const world = new PreferenceWorld({ seed: 1 });
  const data = world.gameData();
  const q = data.rmQueries[0].prompt;
  expect(q).toBe('\n\nHuman: Write ship in capitals.\n\nAssistant:');
  expect(world.goldReward(q, data.golden[0].golden)).toBe(1);
  expect(world.goldReward(q, ' SHIP.')).toBeCloseTo(0.65, 9);
  expect(world.goldReward(q, ' Sure! The answer is SHIP. Hope this helps!')).toBeCloseTo(0.44, 9);
  expect(world.annotator.preferProbability(q, ' Sure! It is SHIP.', ' SHIP.')).toBeCloseTo(1 / (1 + Math.exp(-1.75)), 9);
  expect(Object.keys(data).sort()).toEqual(['golden', 'humanItems', 'llmQueries', 'rmQueries', 'sftDemos', 'testItems', 'testQueries']);
});
