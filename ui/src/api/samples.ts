import { request } from '../transport';
import { apiPath } from './paths';
import type { Project, Sample } from './types';

export function listSamples(signal?: AbortSignal): Promise<Sample[]> {
  return request<Sample[]>('GET', '/api/v1/samples', undefined, signal);
}

/** A new project holding the sample script, already parsed. */
export function openSample(id: string): Promise<Project> {
  return request<Project>('POST', `${apiPath('samples', id)}/open`);
}
