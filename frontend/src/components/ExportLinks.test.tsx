import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ExportLinks } from './ExportLinks';

describe('ExportLinks', () => {
  it('offers plain NDJSON, a .gz file of it and CSV for the current search', () => {
    render(<ExportLinks params={{ q: 'level:error', since: '2026-12-01T00:00:00Z', until: '2026-12-02T00:00:00Z' }} tenant="acme" />);
    const url = (id: string) => new URL(screen.getByTestId(id).getAttribute('href')!, 'http://x');
    expect(url('export-ndjson').searchParams.get('gzip')).toBeNull();
    expect(url('export-ndjson-gz').searchParams.get('gzip')).toBe('1');
    expect(url('export-ndjson-gz').searchParams.get('format')).toBe('ndjson');
    expect(url('export-ndjson-gz').searchParams.get('q')).toBe('level:error');
    expect(url('export-ndjson-gz').searchParams.get('tenant')).toBe('acme');
    expect(url('export-csv').searchParams.get('format')).toBe('csv');
    expect(screen.getByRole('navigation', { name: 'Export these lines' })).toBeInTheDocument();
  });
});
