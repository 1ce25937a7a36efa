/** The benchmark report's statistics and charts (bench/lib): percentiles, buckets, well-formed SVG. */
import { histogram, human, logBounds, percentile, summarize } from '../../bench/lib/stats';
import { barChartSvg, barsSvg, histogramSvg, logHistogramSvg } from '../../bench/lib/svg';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted samples', () => {
    const s = summarize([5, 1, 3, 2, 4]);
    expect(s).toMatchObject({ count: 5, min: 1, max: 5, mean: 3, p50: 3, p99: 5 });
  });

  it('puts every sample in exactly one log-spaced bucket', () => {
    const samples = [0.3, 1, 1.2, 4, 4.9, 5, 12, 80, 640, 2500];
    const buckets = histogram(samples);
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(samples.length);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.from).toBe(buckets[i - 1]!.to);
    const bounds = logBounds(0.3, 2500);
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
    expect(bounds[bounds.length - 1]).toBeGreaterThan(2500);
  });
});

describe('bench charts', () => {
  it('draws a histogram with percentile markers per series', () => {
    const svg = histogramSvg({
      title: 'a <title> & more',
      series: [
        { name: 'api', samples: [1, 2, 3, 4, 50] },
        { name: 'raw', samples: [1, 1, 2] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &lt;title&gt; &amp; more');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(6);
  });

  it('draws one bar per finite value', () => {
    const svg = barChartSvg({
      title: 't',
      categories: ['1', '16', '64'],
      series: [
        { name: 'a', values: [1, 2, 3] },
        { name: 'b', values: [4, NaN, 6] },
      ],
      yLabel: 'events/s',
    });
    expect(svg.match(/<rect [^>]*fill="#/g)?.length).toBe(1 + 2 + 5);
  });

  it('writes durations for people, from milliseconds to hours', () => {
    expect([420, 1500, 45_000, 150_000, 3 * 3600_000, NaN].map(human)).toEqual([
      '420 ms',
      '1.50 s',
      '45.0 s',
      '2.5 min',
      '3.0 h',
      '–',
    ]);
  });

  it('draws durations on a log scale and as bars, one outline and one bar per entry', () => {
    const log = logHistogramSvg('Event <vs> batch', [
      { name: 'event', values: [30, 40, 120] },
      { name: 'batch', values: [3_600_000, 7_200_000] },
    ]);
    expect(log).toMatch(/^<svg [^>]*>/);
    expect(log).toContain('Event &lt;vs&gt; batch');
    expect(log.match(/<path /g)?.length).toBe(2);
    expect(log).toContain('event (n=3)');
    expect(log).toContain('>16.7 min<'); // decade ticks written as durations
    expect(log).toContain('>2.8 h<');
    const bars = barsSvg('Batch', [
      { name: 'set-based', ms: 40_000 },
      { name: 'per row', ms: 900_000 },
    ]);
    expect(bars.match(/<rect [^>]*fill="#/g)?.length).toBe(1 + 2);
    expect(bars).toContain('>40.0 s<');
    expect(bars).toContain('>15.0 min<');
  });
});
