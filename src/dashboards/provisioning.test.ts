import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { DashboardProvisioner, dashboardsFolderOf, loadDashboardFolder } from './provisioning.js';

const POT_YAML = `uid: pot
title: Potentiometer
panels:
  - id: value
    type: timeseries
    gridPos: { x: 0, y: 0, w: 24, h: 8 }
    queries:
      - { measurement: pot, field: value, aggregate: mean }
`;

const FIXTURE = new URL('../../test/fixtures/dashboards/grafana-bess-overview.json', import.meta.url);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorhub-dash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadDashboardFolder', () => {
  it('loads sensorhub YAML and Grafana JSON, and skips each bad file with every problem as file: path: message', async () => {
    await writeFile(join(dir, 'a-pot.yaml'), POT_YAML);
    await copyFile(FIXTURE, join(dir, 'b-bess.json'));
    await writeFile(
      join(dir, 'c-invalid.yml'),
      'uid: "bad uid"\ntitle: ""\npanels:\n  - { id: p, type: pie, gridPos: { x: 20, y: 0, w: 8, h: 4 } }\n',
    );
    await writeFile(join(dir, 'd-broken.json'), '{"uid": "x",');
    await writeFile(join(dir, 'e-dup.yaml'), POT_YAML.replace('Potentiometer', 'Copy'));
    await writeFile(join(dir, 'f-empty.yaml'), '\n');
    await writeFile(
      join(dir, 'g-unknown-var.yaml'),
      `${POT_YAML.replace('uid: pot', 'uid: v')}      - { measurement: pot, field: value, tags: { device: $nope } }\n`,
    );
    await writeFile(join(dir, 'notes.txt'), 'not a dashboard');
    await writeFile(join(dir, '.hidden.yaml'), 'garbage: [');

    const got = await loadDashboardFolder(dir);
    expect(got.dashboards.map((d) => [d.uid, d.source, d.path, d.version])).toEqual([
      ['pot', 'file', join(dir, 'a-pot.yaml'), 1],
      ['ad5b5lz', 'file', join(dir, 'b-bess.json'), 1],
      ['v', 'file', join(dir, 'g-unknown-var.yaml'), 1],
    ]);
    const invalid = join(dir, 'c-invalid.yml');
    expect(got.errors).toEqual([
      `${invalid}: uid: uid is 1–64 letters, digits, - or _`,
      `${invalid}: title: Too small: expected string to have >=1 characters`,
      expect.stringMatching(new RegExp(`^${invalid}: panels\\.0\\.type: Invalid option`)),
      expect.stringMatching(new RegExp(`^${join(dir, 'd-broken.json')}: .*JSON`)),
      `${join(dir, 'e-dup.yaml')}: uid: "pot" is already used by ${join(dir, 'a-pot.yaml')}, which wins; give this dashboard another uid`,
      `${join(dir, 'f-empty.yaml')}: the file is empty`,
    ]);
    expect(got.warnings).toContain(
      `${join(dir, 'b-bess.json')}: panel "Battery 1 - Power": transformations are not supported (calculateField); left out`,
    );
    expect(got.warnings).toContain(
      `${join(dir, 'g-unknown-var.yaml')}: panels.0 "": queries.1.tags.device: $nope is not a variable of this dashboard`,
    );
  });

  it('reports a folder that does not exist', async () => {
    const got = await loadDashboardFolder(join(dir, 'missing'));
    expect(got.errors).toEqual([
      `${join(dir, 'missing')}: the folder does not exist (dashboards.path, env SENSORHUB_DASHBOARDS)`,
    ]);
  });
});

describe('dashboardsFolderOf', () => {
  it('resolves dashboards.path from the config file’s folder, defaults to dashboards/ beside it, else none', () => {
    expect(
      dashboardsFolderOf({ configFile: '/etc/sh/sensorhub.yaml', dashboards: { path: 'dash' } }, '/x'),
    ).toEqual({
      dir: '/etc/sh/dash',
      explicit: true,
    });
    expect(
      dashboardsFolderOf({ configFile: 'conf/sensorhub.yaml', dashboards: { path: '' } }, '/srv'),
    ).toEqual({
      dir: '/srv/conf/dashboards',
      explicit: false,
    });
    expect(dashboardsFolderOf({ configFile: '', dashboards: { path: 'd' } }, '/srv')).toEqual({
      dir: '/srv/d',
      explicit: true,
    });
    expect(dashboardsFolderOf({ configFile: '', dashboards: { path: '' } }, '/srv')).toBeUndefined();
  });
});

describe('DashboardProvisioner', () => {
  it('reloads when a file is added, changed or removed', async () => {
    const p = new DashboardProvisioner({
      folder: { dir, explicit: true },
      logger: silentLogger,
      debounceMs: 20,
    });
    await p.start();
    try {
      expect(p.list()).toEqual([]);
      const changed = () => new Promise<void>((resolve) => p.onChange(resolve));

      let next = changed();
      await writeFile(join(dir, 'pot.yaml'), POT_YAML);
      await next;
      expect(p.get('pot')?.title).toBe('Potentiometer');

      next = changed();
      await writeFile(join(dir, 'pot.yaml'), POT_YAML.replace('Potentiometer', 'Knob'));
      await next;
      expect(p.get('pot')?.title).toBe('Knob');

      // A broken save keeps nothing of the file, and says why.
      next = changed();
      await writeFile(join(dir, 'pot.yaml'), 'uid: pot\n');
      await next;
      expect(p.get('pot')).toBeUndefined();
      expect(p.status().errors).toEqual([
        `${join(dir, 'pot.yaml')}: title: Invalid input: expected string, received undefined`,
      ]);

      next = changed();
      await rm(join(dir, 'pot.yaml'));
      await next;
      expect(p.status()).toMatchObject({ dashboards: 0, errors: [] });
    } finally {
      p.stop();
    }
  });

  it('treats a missing default folder as none, and a missing configured one as an error', async () => {
    const quiet = new DashboardProvisioner({
      folder: { dir: join(dir, 'nope'), explicit: false },
      logger: silentLogger,
    });
    await quiet.start();
    expect(quiet.status()).toMatchObject({ dashboards: 0, errors: [] });
    quiet.stop();
    const loud = new DashboardProvisioner({
      folder: { dir: join(dir, 'nope'), explicit: true },
      logger: silentLogger,
    });
    await loud.start();
    expect(loud.status().errors).toHaveLength(1);
    loud.stop();
    // Created later: a reload (SIGHUP, POST /api/v1/dashboards/reload) picks it up.
    await mkdir(join(dir, 'nope'));
    await writeFile(join(dir, 'nope', 'pot.yaml'), POT_YAML);
    expect((await loud.reload()).dashboards).toBe(1);
  });
});
