// Queue URLs: what a worker, enqueue and collect accept, and the one error shape for the rest.
import { describe, expect, it } from 'vitest';

import { ErrorCode, TensorRTNodeError, parseQueueUrl } from '../../../lib/index.js';

describe('parseQueueUrl', () => {
  it('reads host, port and name, with Redis defaults for the rest', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380/ocr-jobs')).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      db: 0,
      tls: false,
      name: 'ocr-jobs',
      display: 'redis://10.0.0.5:6380/ocr-jobs',
    });
    expect(parseQueueUrl('redis://cache.internal/jobs')).toMatchObject({ host: 'cache.internal', port: 6379, name: 'jobs' });
  });

  it('takes credentials, a database before the name, TLS and IPv6 hosts, and hides the password', () => {
    const location = parseQueueUrl('rediss://worker:s%40cret@[::1]:7000/3/nightly.v2');
    expect(location).toMatchObject({
      host: '::1',
      port: 7000,
      db: 3,
      username: 'worker',
      password: 's@cret',
      tls: true,
      name: 'nightly.v2',
    });
    expect(location.display).toBe('rediss://worker:***@[::1]:7000/3/nightly.v2');
    expect(location.display).not.toContain('cret');
  });

  it.each([
    ['redis://127.0.0.1:6379', 'the path must be the queue name'],
    ['redis://127.0.0.1:6379/', 'the path must be the queue name'],
    ['redis://127.0.0.1:6379/a/b', 'the path must be the queue name'],
    ['redis://127.0.0.1:6379/jobs:1', 'must be letters, digits'],
    ['redis://127.0.0.1:6379/{jobs}', 'must be letters, digits'],
    ['redis://127.0.0.1:0/jobs', 'a port from 1 to 65535'],
    ['redis://127.0.0.1:6379/jobs?db=2', 'no query or fragment'],
    ['http://127.0.0.1:6379/jobs', 'redis: or rediss:, not http:'],
    ['127.0.0.1:6379/jobs', 'not a URL'],
    ['localhost:6379/jobs', 'redis: or rediss:, not localhost:'],
    ['jobs', 'not a URL'],
    ['redis://127.0.0.1:99999/jobs', 'not a URL'],
  ])('refuses %s with ERR_INVALID_ARGUMENT naming the expected form', (url, why) => {
    let caught: unknown;
    try {
      parseQueueUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TensorRTNodeError);
    expect((caught as TensorRTNodeError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    const message = (caught as Error).message;
    expect(message).toMatch(/^Expected a queue URL of the form redis:\/\/host:port\/name \(.*\) for --queue but received /);
    expect(message).toContain(why);
  });

  it('refuses what is not a string', () => {
    expect(() => parseQueueUrl(6379)).toThrow(
      'Expected a queue URL of the form redis://host:port/name (a string) for --queue but received 6379',
    );
    expect(() => parseQueueUrl(undefined)).toThrow(/received undefined/);
  });
});
