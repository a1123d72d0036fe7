// [neighbors.graceful-restart.config] as GoBGP reads it: enabled (default false) and restart-time
// (default hold-time, 0..4095); its other keys are "ignored" warnings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accepts, assertWarning, rejectsWith, toml } from './helpers.js';

const G = ['[global.config]', 'as = 65000', 'router-id = "192.0.2.1"'];
const N = ['[[neighbors]]', '[neighbors.config]', 'neighbor-address = "192.0.2.2"', 'peer-as = 65001'];
//          line 4          5                       6                                7
const GR = '[neighbors.graceful-restart.config]'; // line 8

void describe('neighbor graceful restart', () => {
  void it('absent: no gracefulRestart (the speaker default applies), no warning', () => {
    const { config, warnings } = accepts(toml(...G, ...N));
    assert.equal(config.neighbors[0]!.gracefulRestart, undefined);
    assert.equal('gracefulRestart' in config.neighbors[0]!, false);
    assert.deepEqual(warnings, []);
  });

  void it('enabled with restart-time', () => {
    const { config, warnings } = accepts(toml(...G, ...N, GR, 'enabled = true', 'restart-time = 300'));
    assert.deepEqual(config.neighbors[0]!.gracefulRestart, { enabled: true, restartTime: 300 });
    assert.deepEqual(warnings, []);
  });

  void it('enabled without restart-time: hold-time, as GoBGP (at most 4095)', () => {
    const plain = accepts(toml(...G, ...N, GR, 'enabled = true'));
    assert.deepEqual(plain.config.neighbors[0]!.gracefulRestart, { enabled: true, restartTime: 90 });
    const long = accepts(
      toml(...G, ...N, '[neighbors.timers.config]', 'hold-time = 9000', GR, 'enabled = true'),
    );
    assert.deepEqual(long.config.neighbors[0]!.gracefulRestart, { enabled: true, restartTime: 4095 });
  });

  void it('enabled = false: off; a restart-time with it is a warning', () => {
    const { config, warnings } = accepts(toml(...G, ...N, GR, 'enabled = false', 'restart-time = 30'));
    assert.deepEqual(config.neighbors[0]!.gracefulRestart, { enabled: false, restartTime: 30 });
    assertWarning(
      warnings,
      'neighbors[0].graceful-restart.config.restart-time',
      10,
      /ignored: graceful restart is not enabled/,
    );
  });

  void it('section without enabled: off as in GoBGP, with a warning', () => {
    const { config, warnings } = accepts(toml(...G, ...N, GR, 'restart-time = 30'));
    assert.equal(config.neighbors[0]!.gracefulRestart?.enabled, false);
    assertWarning(warnings, 'neighbors[0].graceful-restart.config', 8, /enabled is not set/);
  });

  void it('GoBGP keys of the section ribjournal does not use are "ignored" warnings', () => {
    const { config, warnings } = accepts(
      toml(...G, ...N, GR, 'enabled = true', 'notification-enabled = true', 'long-lived-enabled = true'),
    );
    assert.equal(config.neighbors[0]!.gracefulRestart?.enabled, true);
    assert.equal(warnings.length, 2);
    for (const w of warnings) assert.match(w.message, /^ignored: /);
    assertWarning(warnings, 'neighbors[0].graceful-restart.config.notification-enabled', 10, /ignored/);
    assertWarning(warnings, 'neighbors[0].graceful-restart.config.long-lived-enabled', 11, /ignored/);
  });

  void it('restart-time out of range or of the wrong type is rejected', () => {
    rejectsWith(
      toml(...G, ...N, GR, 'enabled = true', 'restart-time = 4096'),
      'neighbors[0].graceful-restart.config.restart-time',
      10,
      /4096 is out of range: expected 0\.\.4095/,
    );
    rejectsWith(
      toml(...G, ...N, GR, 'enabled = "yes"'),
      'neighbors[0].graceful-restart.config.enabled',
      9,
      /boolean/,
    );
  });

  void it('[global.graceful-restart] is still an "ignored" warning', () => {
    const { warnings } = accepts(toml(...G, '[global.graceful-restart.config]', 'enabled = true'));
    assertWarning(warnings, 'global.graceful-restart', 4, /^ignored: /);
  });
});
