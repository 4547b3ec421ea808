import { describe, expect, it } from 'vitest';
import { addAnyOf, attributeFacetChoices } from './facetQuery';

describe('addAnyOf', () => {
  it('ORs several included values in one group', () => {
    expect(addAnyOf('timeout', 'service', ['a', 'b'])).toBe('timeout (service:a OR service:b)');
    expect(addAnyOf('', 'attributes.user_id', ['1', 'x y'])).toBe('(attributes.user_id:1 OR attributes.user_id:"x y")');
  });

  it('excludes each value with its own NOT term', () => {
    expect(addAnyOf('level:error', 'host', ['web-1', 'web-2'], true)).toBe('level:error -host:web-1 -host:web-2');
  });

  it('one value is a plain term', () => {
    expect(addAnyOf('x', 'app', ['web'])).toBe('x app:web');
    expect(addAnyOf('x', 'app', [])).toBe('x');
  });
});

describe('attributeFacetChoices', () => {
  it('offers attribute keys not shown yet', () => {
    expect(attributeFacetChoices(['user_id', 'region'], ['level', 'attributes.region'])).toEqual(['attributes.user_id']);
    // Keys the query language cannot name as written are not offered.
    expect(attributeFacetChoices(['a.b', 'with space', 'ok-1'], [])).toEqual(['attributes.ok-1']);
  });
});
