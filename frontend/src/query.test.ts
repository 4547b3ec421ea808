import { describe, expect, it } from 'vitest';
import { addTerm, quoteValue } from './query';

describe('addTerm', () => {
  it('adds field:value and -field:value, replacing the opposite and not duplicating', () => {
    expect(addTerm('', 'level', 'error')).toBe('level:error');
    expect(addTerm('timeout', 'host', 'web-1', true)).toBe('timeout -host:web-1');
    expect(addTerm('timeout -host:web-1', 'host', 'web-1')).toBe('timeout host:web-1');
    expect(addTerm('level:error', 'level', 'error')).toBe('level:error');
  });
  it('quotes values with spaces or quotes', () => {
    expect(quoteValue('my app')).toBe('"my app"');
    expect(quoteValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteValue('')).toBe('""');
    expect(addTerm('', 'service', 'checkout api')).toBe('service:"checkout api"');
  });
});
