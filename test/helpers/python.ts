import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The Python with dnspython (Debian's python3-dnspython lives in the system Python, which a
 * pyenv or venv `python3` earlier on PATH does not see).
 */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * Runs a Python script with dnspython, an independent DNS implementation, and resolves with what
 * it printed. Arguments reach the script as sys.argv[1:]. Rejects with its stderr when it fails
 * or has not finished within `timeoutMs`. Asynchronous: the script may talk to a server in this
 * process.
 */
export function python(script: string, args: string[] = [], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', script, ...args], { encoding: 'utf8', timeout: timeoutMs }, (e, stdout, stderr) => {
      if (e) reject(new Error(`python (dnspython) failed: ${stderr || e.message}\n(is python3-dnspython installed?)`));
      else resolve(stdout);
    });
  });
}
