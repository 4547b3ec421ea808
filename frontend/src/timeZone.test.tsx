import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeZoneProvider, ZonedTime, storeZoneMode, storedZoneMode, zoneState, type ZoneMode } from './timeZone';
import { TimeZoneToggle } from './components/TimeZoneToggle';

function Harness() {
  const [mode, setMode] = useState<ZoneMode>('local');
  return (
    <TimeZoneProvider value={zoneState(mode, 'Asia/Tokyo')}>
      <TimeZoneToggle onChange={setMode} />
      <span data-testid="t">
        <ZonedTime iso="2026-11-29T23:40:01.123Z" />
      </span>
    </TimeZoneProvider>
  );
}

describe('time zone switch', () => {
  afterEach(() => window.localStorage.clear());

  it('shows times in the chosen zone and names the local one', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    expect(screen.getByTestId('t')).toHaveTextContent('2026-11-30 08:40:01.123');
    expect(screen.getByTestId('tz-local')).toHaveTextContent('Local (Asia/Tokyo)');
    expect(screen.getByTestId('tz-local')).toHaveAttribute('aria-pressed', 'true');
    await user.click(screen.getByTestId('tz-utc'));
    expect(screen.getByTestId('t')).toHaveTextContent('2026-11-29 23:40:01.123');
    expect(screen.getByTestId('tz-utc')).toHaveAttribute('aria-pressed', 'true');
  });

  it('remembers the choice', () => {
    expect(storedZoneMode()).toBe('local');
    storeZoneMode('utc');
    expect(storedZoneMode()).toBe('utc');
    window.localStorage.setItem('devlogs.timeZone', 'mars');
    expect(storedZoneMode()).toBe('local');
  });
});

describe('histogram axis labels', () => {
  it('follow the zone', async () => {
    const { tickLabel } = await import('./components/Histogram');
    const sec = Date.parse('2026-11-29T23:40:00Z') / 1000;
    expect(tickLabel(sec, 600, 3600, 'UTC')).toBe('23:40');
    expect(tickLabel(sec, 600, 3600, 'Asia/Tokyo')).toBe('08:40');
    expect(tickLabel(sec, 86400, 7 * 86400, 'Asia/Tokyo')).toBe('11-30');
  });
});
