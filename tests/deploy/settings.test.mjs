// The deployment files use the settings the daemon has: visitsd(8) lists
// every setting of `visitsd --help` (printed from the settings table), and
// every VISITSD_* name the unit, the env example, the Dockerfile, the
// template and the docs mention is one of them.  VISITSD_BIN names the
// daemon (default build/visitsd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f) => readFileSync(path.join(top, f), 'utf8');
const names = (text) => new Set(text.match(/\bVISITSD_[A-Z0-9_]*[A-Z0-9]\b/g));
const bin = process.env.VISITSD_BIN ?? path.join(top, 'build/visitsd');
const help = execFileSync(bin, ['--help'], { encoding: 'utf8' });
const settings = new Set([...help.matchAll(/\((VISITSD_[A-Z0-9_]+),/g)]
    .map((m) => m[1]));

test('visitsd --help lists the settings of the public contract', () => {
	assert.ok(settings.size >= 24, `only ${settings.size} settings found`);
	assert.ok(settings.has('VISITSD_LISTEN'));
	assert.ok(settings.has('VISITSD_SQLITE_PATH'));
});

test('visitsd(8) documents every setting', () => {
	const man = read('docs/visitsd.8');
	const missing = [...settings].filter((n) => !man.includes(`.It Ev ${n} `));
	assert.deepEqual(missing, []);
});

test('deployment files name only settings that exist', () => {
	const files = ['systemd/visitsd.service', 'systemd/visitsd.env',
		'Dockerfile', 'deploy/cloudformation.yaml', 'docs/visitsd.8',
		'docs/api.md', 'docs/deploy-aws.md', 'docs/operations.md',
		'deploy/compose.yaml'];
	for (const f of files) {
		if (!existsSync(path.join(top, f)))
			assert.fail(`${f} missing`);
		const unknown = [...names(read(f))].filter((n) => !settings.has(n));
		assert.deepEqual(unknown, [], f);
	}
});
