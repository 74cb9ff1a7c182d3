import * as core from '@actions/core';

/** The contract's outputs. Every one is always set, so `steps.x.outputs.y` never reads stale. */
export interface ActionOutputs {
  success: boolean;
  'storage-type': string;
  'database-location': string;
  'database-path': string;
  'database-size': number;
  'metrics-collected': number;
  'metrics-failed': number;
  'total-builds': number;
  duration: number;
  'report-path': string;
  'artifact-upload-required': boolean;
  'artifact-name': string;
  'artifact-path': string;
  'error-code': string;
  'error-message': string;
}

export function emptyOutputs(): ActionOutputs {
  return {
    success: false,
    'storage-type': '',
    'database-location': '',
    'database-path': '',
    'database-size': 0,
    'metrics-collected': 0,
    'metrics-failed': 0,
    'total-builds': 0,
    duration: 0,
    'report-path': '',
    'artifact-upload-required': false,
    'artifact-name': '',
    'artifact-path': '',
    'error-code': '',
    'error-message': '',
  };
}

export function writeOutputs(outputs: ActionOutputs, redact: (s: string) => string): void {
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, redact(String(value)));
}
