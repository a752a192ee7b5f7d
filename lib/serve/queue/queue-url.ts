/**
 * Where a distributed batch lives: `redis://[user:password@]host[:port]/[db/]name` (`rediss://` for TLS).
 * The path names the queue rather than a database as in plain Redis URLs, because one Redis holds
 * many jobs; a database number may come before the name. Queue names are what BullMQ accepts in its
 * keys: no ':' (its separator) and no braces (Redis Cluster hash tags).
 */
import { describeValue, invalidArgument } from '../../errors.js';

export const QUEUE_URL_FORM = 'redis://host:port/name';

export interface QueueLocation {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  name: string;
  /** The URL without its password, for messages and logs. */
  display: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function refuse(value: unknown, why: string): never {
  throw invalidArgument(`a queue URL of the form ${QUEUE_URL_FORM} (${why})`, '--queue', value);
}

export function parseQueueUrl(value: unknown): QueueLocation {
  if (typeof value !== 'string' || value === '') refuse(value, 'a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse(value, 'not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') refuse(value, `redis: or rediss:, not ${url.protocol}`);
  if (url.hostname === '') refuse(value, 'a host is missing');
  if (url.search !== '' || url.hash !== '') refuse(value, 'no query or fragment');
  const port = url.port === '' ? 6379 : Number(url.port);
  if (port < 1) refuse(value, 'a port from 1 to 65535');
  const parts = url.pathname.split('/').slice(1);
  let db = 0;
  if (parts.length === 2 && /^\d{1,5}$/.test(parts[0] as string)) db = Number(parts.shift());
  if (parts.length !== 1 || parts[0] === '') refuse(value, 'the path must be the queue name');
  const name = decodeURIComponent(parts[0] as string);
  if (!NAME.test(name)) refuse(value, `the name ${describeValue(name)} must be letters, digits, '.', '_' or '-'`);
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  // IPv6 hosts come back bracketed from URL; the client wants them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const auth = username !== undefined || password !== undefined ? `${username ?? ''}${password !== undefined ? ':***' : ''}@` : '';
  return {
    host,
    port,
    db,
    username,
    password,
    tls: url.protocol === 'rediss:',
    name,
    display: `${url.protocol}//${auth}${url.host}/${db === 0 ? '' : `${db}/`}${name}`,
  };
}
