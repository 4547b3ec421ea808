import { describe, expect, it } from 'vitest';
import { EMPTY_RULE, formFromRule, rulePayload, splitSeconds, validateRule } from './ruleForm';
import type { AlertRule } from '../../types';

const form = (patch: Partial<typeof EMPTY_RULE> = {}) => ({ ...EMPTY_RULE, name: 'Errors', ...patch });

describe('rule form', () => {
  it('sends a count rule with its comparison, threshold and seconds', () => {
    expect(rulePayload(form({ query: ' level:error ', threshold: '10', window: '15', windowUnit: 'm', interval: '30', intervalUnit: 's', channels: [3, 1] }))).toEqual({
      name: 'Errors',
      description: '',
      query: 'level:error',
      kind: 'count',
      comparison: 'above',
      threshold: 10,
      window_seconds: 900,
      interval_seconds: 30,
      channels: [1, 3],
      enabled: true,
    });
  });

  it('sends only what an absence or new-value rule uses', () => {
    const absence = rulePayload(form({ kind: 'absence', threshold: '99' }));
    expect(absence).not.toHaveProperty('threshold');
    expect(absence).not.toHaveProperty('comparison');
    expect(absence).not.toHaveProperty('field');
    const fresh = rulePayload(form({ kind: 'new_value', field: ' service ' }));
    expect(fresh.field).toBe('service');
    expect(fresh).not.toHaveProperty('threshold');
  });

  it('names what the API would refuse', () => {
    expect(validateRule(form())).toEqual({});
    expect(validateRule(form({ name: '  ' })).name).toMatch(/name/);
    expect(validateRule(form({ threshold: '-1' })).threshold).toMatch(/whole number/);
    expect(validateRule(form({ threshold: '2.5' })).threshold).toMatch(/whole number/);
    expect(validateRule(form({ comparison: 'below', threshold: '0' })).threshold).toMatch(/never happen/);
    expect(validateRule(form({ comparison: 'below', threshold: '1' }))).toEqual({});
    expect(validateRule(form({ kind: 'new_value', field: '' })).field).toMatch(/Choose/);
    expect(validateRule(form({ kind: 'new_value', field: 'colour' })).field).toMatch(/attributes/);
    expect(validateRule(form({ kind: 'new_value', field: 'attributes.user_id' }))).toEqual({});
    expect(validateRule(form({ window: '5', windowUnit: 's' })).window).toMatch(/10 seconds to 7 days/);
    expect(validateRule(form({ window: '8', windowUnit: 'd' })).window).toMatch(/7 days/);
    expect(validateRule(form({ interval: '2', intervalUnit: 'd' })).interval).toMatch(/1 day/);
    // a threshold that a count rule would reject does not matter for an absence rule
    expect(validateRule(form({ kind: 'absence', threshold: 'x' }))).toEqual({});
  });

  it('shows stored seconds in the largest whole unit', () => {
    expect(splitSeconds(300)).toEqual(['5', 'm']);
    expect(splitSeconds(7200)).toEqual(['2', 'h']);
    expect(splitSeconds(86400)).toEqual(['1', 'd']);
    expect(splitSeconds(45)).toEqual(['45', 's']);
    const rule = { name: 'r', description: '', query: 'q', kind: 'count', comparison: 'below', threshold: 3, field: '', window_seconds: 3600, interval_seconds: 60, channels: [2], enabled: false } as AlertRule;
    expect(formFromRule(rule)).toMatchObject({ window: '1', windowUnit: 'h', interval: '1', intervalUnit: 'm', threshold: '3', comparison: 'below', channels: [2], enabled: false });
  });
});
