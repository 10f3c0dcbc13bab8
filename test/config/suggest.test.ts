// "Did you mean …?": the closest known name when it is close enough to be a typo.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestName, didYouMean, editDistance } from '../../src/config/suggest.js';

test('edit distance counts insertions, deletions, substitutions and swapped neighbours as one each', () => {
  assert.deepEqual(
    [
      editDistance('', ''),
      editDistance('abc', 'abc'),
      editDistance('sesionTimeout', 'sessionTimeout'),
      editDistance('dta', 'dat'),
      editDistance('kitten', 'sitting'),
    ],
    [0, 0, 1, 1, 3],
  );
});

test('a typo gets the closest name, another word gets none', () => {
  const settings = ['sessionTimeout', 'sessionLifetime', 'lockMaxWait'];
  assert.equal(closestName('sesionTimeout', settings), 'sessionTimeout');
  assert.equal(closestName('SESSIONLIFETIME', settings), 'sessionLifetime');
  assert.equal(closestName('colour', settings), undefined);
  assert.equal(didYouMean('lockMaxWiat', settings), ' (did you mean lockMaxWait?)');
  assert.equal(didYouMean('x', settings), '');
});
