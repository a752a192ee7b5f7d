/**
 * Where a relative location inside a directory really leads. A model's external data locations come
 * from the model, which may come from a user (an uploaded archive): the text `w.bin` can name a
 * symbolic link to any file on the host, so checking the text is not enough. The location is
 * resolved to a real path (every link followed) and must stay inside the real directory, as ONNX
 * Runtime requires; nothing is opened or sized before that check.
 *
 * The answer must not tell whether a file outside the directory exists: a missing file is reported
 * as missing only when the deepest part of the path that does exist lies inside the directory (and
 * is not a dangling link), so every way out of the directory gets the same answer.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export type Containment =
  /** The location exists; `path` is its real path, inside `dir`, the directory's real path. */
  | { kind: 'inside'; path: string; dir: string }
  /** The location does not exist, but the part of it that does is inside; `path` is where it would be. */
  | { kind: 'missing'; path: string }
  /** Absolute, `..` above the directory, a link that leaves it, or a link that leads nowhere. */
  | { kind: 'outside' };

type Probe = { op: 'realpath'; path: string } | { op: 'lstat'; path: string };
/** realpath: the real path or undefined; lstat: 'absent' (ENOENT, ENOTDIR) or 'present' (anything else). */
type ProbeAnswer = string | undefined;

export function isWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** True when the text alone keeps the location below the directory (nothing on disk is consulted). */
export function isRelativeInside(location: string): boolean {
  if (location === '' || location.includes('\0') || isAbsolute(location)) return false;
  const rel = relative('/base', resolve('/base', location));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function* containment(dir: string, location: string): Generator<Probe, Containment, ProbeAnswer> {
  if (!isRelativeInside(location)) return { kind: 'outside' };
  const base = resolve(dir);
  const target = resolve(base, location);
  const realBase = yield { op: 'realpath', path: base };
  if (realBase === undefined) return { kind: 'missing', path: target };
  let probe = target;
  for (;;) {
    const real = yield { op: 'realpath', path: probe };
    if (real !== undefined) {
      if (!isWithin(realBase, real)) return { kind: 'outside' };
      return probe === target
        ? { kind: 'inside', path: real, dir: realBase }
        : { kind: 'missing', path: join(real, relative(probe, target)) };
    }
    // An entry that exists but does not resolve (a dangling link, a loop, no permission) may point
    // anywhere: answering "missing" for it would tell whether its target exists.
    if ((yield { op: 'lstat', path: probe }) === 'present') return { kind: 'outside' };
    if (probe === base) return { kind: 'missing', path: target };
    probe = dirname(probe);
  }
}

function absent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function resolveContainedSync(dir: string, location: string): Containment {
  const steps = containment(dir, location);
  let step = steps.next();
  while (!step.done) {
    const { op, path } = step.value;
    let answer: ProbeAnswer;
    if (op === 'realpath') {
      try {
        answer = realpathSync.native(path);
      } catch {
        answer = undefined;
      }
    } else {
      try {
        lstatSync(path);
        answer = 'present';
      } catch (error) {
        answer = absent(error) ? 'absent' : 'present';
      }
    }
    step = steps.next(answer);
  }
  return step.value;
}

export async function resolveContained(dir: string, location: string): Promise<Containment> {
  const steps = containment(dir, location);
  let step = steps.next();
  while (!step.done) {
    const { op, path } = step.value;
    let answer: ProbeAnswer;
    if (op === 'realpath') answer = await realpath(path).catch(() => undefined);
    else
      answer = await lstat(path).then(
        () => 'present',
        (error: unknown) => (absent(error) ? 'absent' : 'present'),
      );
    step = steps.next(answer);
  }
  return step.value;
}

/**
 * Whether the file open as `fd` still lies inside `dir` (a real path). Between resolving a path and
 * opening it, a folder on the way may have been swapped for a link; on Linux the descriptor itself
 * says where the opened file is. Elsewhere the check is the one made before opening.
 */
export function openedInside(fd: number, dir: string): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return isWithin(dir, readlinkSync(`/proc/self/fd/${fd}`));
  } catch {
    return true; // no /proc mounted: nothing more to learn
  }
}
