import * as path from 'path';
import { resolveSettings } from '../../src/config/settings';
import { STORAGE_TYPES, type StorageType, type UnentropyConfig } from '../../src/config/types';
import { ActionError } from '../../src/errors';
import { STORAGE_TYPE_CASES } from '../helpers/storage-type-cases';

// Contract: storage-type input > config storage.type > sqlite-local; the input has no default.
const metrics = [{ name: 'loc', type: 'numeric' as const, command: 'echo 1' }];

function settingsFor(input: string | undefined, configType: string | undefined) {
  const config: UnentropyConfig = {
    metrics,
    // s3 needs a bucket; give one so only the storage type is under test
    storage: { ...(configType ? { type: configType as StorageType } : {}), s3: { bucket: 'b' } },
  };
  return resolveSettings({
    inputs: input === undefined ? {} : { 'storage-type': input },
    config,
    env: {},
    workspace: path.resolve('/tmp/ws'),
    configFile: 'unentropy.json',
  });
}

describe('storage type precedence', () => {
  test.each(STORAGE_TYPE_CASES)('%s', (_label, input, configType, expected) => {
    expect(settingsFor(input, configType).storageType).toBe(expected);
  });

  test.each([
    ['input', 'sqlite-s4', undefined, 'input `storage-type`'],
    ['input (beats a valid config)', 's3', 'sqlite-local', 'input `storage-type`'],
    ['config', undefined, 'sqlite', '`storage.type` in unentropy.json'],
    ['input, near miss', 'sqlite-artifacts', undefined, 'input `storage-type`'],
    ['input beats a valid config, short form', 'artifact', 'sqlite-artifact', 'input `storage-type`'],
    ['config, near miss', undefined, 'github-artifact', '`storage.type` in unentropy.json'],
    ['config, upper case', undefined, 'SQLITE-LOCAL', '`storage.type` in unentropy.json'],
  ])('invalid value from %s is CONFIG_INVALID listing the valid ones', (_label, input, configType, source) => {
    let error: unknown;
    try {
      settingsFor(input, configType);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    const e = error as ActionError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(source);
    for (const valid of STORAGE_TYPES) expect(e.message).toContain(valid);
    expect(e.message).toContain(JSON.stringify(input ?? configType));
  });
});
