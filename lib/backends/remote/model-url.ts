/**
 * A KServe v2 model address: `http(s)://host:port[/prefix]/v2/models/{name}[/versions/{version}]`.
 * The prefix (a path a gateway routes on) is kept, so every endpoint is built from the same base.
 */
import { invalidArgument } from '../../errors.js';

export interface ModelUrl {
  /** The URL as given. */
  readonly href: string;
  /** Origin and prefix, without a trailing slash: endpoints are `${base}/v2/...`. */
  readonly base: string;
  readonly model: string;
  readonly version: string | undefined;
  /** `/v2/models/{name}[/versions/{version}]`, escaped: the model's metadata endpoint. */
  readonly modelPath: string;
}

const MODEL_PATH = /^(?<prefix>.*?)\/v2\/models\/(?<model>[^/]+)(?:\/versions\/(?<version>[^/]+))?\/?$/;

export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\//i.test(value);
}

export function parseModelUrl(value: unknown, name: string): ModelUrl {
  const what = 'an http(s) URL of a KServe v2 model (http://host:8000/v2/models/{name}[/versions/{version}])';
  if (!isHttpUrl(value)) throw invalidArgument(what, name, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(what, name, value);
  }
  const match = MODEL_PATH.exec(url.pathname);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || !match?.groups) {
    throw invalidArgument(what, name, value);
  }
  const { prefix = '', model = '', version } = match.groups;
  let decodedModel: string;
  let decodedVersion: string | undefined;
  try {
    decodedModel = decodeURIComponent(model);
    decodedVersion = version === undefined ? undefined : decodeURIComponent(version);
  } catch {
    throw invalidArgument(what, name, value);
  }
  const versionPath = decodedVersion === undefined ? '' : `/versions/${encodeURIComponent(decodedVersion)}`;
  return {
    href: value,
    base: `${url.origin}${prefix}`,
    model: decodedModel,
    version: decodedVersion,
    modelPath: `/v2/models/${encodeURIComponent(decodedModel)}${versionPath}`,
  };
}
