/** The pure customer follow-up rules: quiet hours in a time zone, decayed scoring, SLA defaults. */
import { quietHoursEnd } from '../../db/queries/contacts';
import { addToBurst, decayed, evaluateBurst, type Burst } from '../../domain/crm';
import type { BehaviourKind } from '../../domain/events/crm';
import { DEFAULT_SETTINGS } from '../../domain/settings';

describe('quietHoursEnd', () => {
  it('is null outside the quiet hours and their end inside them (UTC)', () => {
    expect(quietHoursEnd(new Date('2026-11-27T12:00:00Z'), '20:00', '08:00', null)).toBeNull();
    expect(quietHoursEnd(new Date('2026-11-27T22:15:30.500Z'), '20:00', '08:00', 'UTC')?.toISOString()).toBe(
      '2026-11-28T08:00:00.000Z',
    );
    expect(quietHoursEnd(new Date('2026-11-27T07:59:00Z'), '20:00', '08:00', 'UTC')?.toISOString()).toBe(
      '2026-11-27T08:00:00.000Z',
    );
    expect(quietHoursEnd(new Date('2026-11-27T08:00:00Z'), '20:00', '08:00', 'UTC')).toBeNull();
    expect(quietHoursEnd(new Date('2026-11-27T13:30:00Z'), '13:00', '14:00', 'UTC')?.toISOString()).toBe(
      '2026-11-27T14:00:00.000Z',
    );
  });

  it("uses the customer's time zone", () => {
    // 06:30 UTC is 07:30 in Berlin (winter): quiet until 08:00 Berlin = 07:00 UTC
    expect(
      quietHoursEnd(new Date('2026-11-27T06:30:00Z'), '20:00', '08:00', 'Europe/Berlin')?.toISOString(),
    ).toBe('2026-11-27T07:00:00.000Z');
    // 19:30 UTC is 20:30 in Berlin: quiet until 08:00 Berlin the next day
    expect(
      quietHoursEnd(new Date('2026-11-27T19:30:00Z'), '20:00', '08:00', 'Europe/Berlin')?.toISOString(),
    ).toBe('2026-11-28T07:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-11-27T19:30:00Z'), '20:00', '08:00', 'America/New_York')).toBeNull();
  });
});

describe('behaviour scoring', () => {
  const weights = { page_view: 1, churn_risk: 8 };
  const halfLifeMs = 1000;
  const threshold = 10;
  const at = (ms: number) => new Date(ms).toISOString();
  const cause = { source: 's', id: 'e', correlationId: 'c' };
  const burstOf = (arrivedMs: number, ...signals: [BehaviourKind, number][]) =>
    signals.reduce<Burst | null>(
      (b, [kind, occurredMs]) =>
        addToBurst(b, { kind, occurredAt: at(occurredMs), cause }, weights, halfLifeMs, arrivedMs),
      null,
    );

  it('halves a score every half-life', () => {
    expect(decayed(8, 0, 2000, 1000)).toBe(2);
    expect(decayed(8, 0, 0, 1000)).toBe(8);
  });

  it('sums a burst as one score at the time the window opened', () => {
    const b = burstOf(1000, ['churn_risk', 0], ['page_view', 1000], ['email_opened', 1000]);
    expect(b).toMatchObject({ refMs: 1000, score: 5, signals: 3 });
    // a signal that claims to occur later than it arrived counts as arrived
    expect(burstOf(1000, ['churn_risk', 5000])?.score).toBe(8);
  });

  it('crosses once, stays disarmed while above, and re-arms after decaying below the threshold', () => {
    const first = evaluateBurst({
      score: 0,
      scoredAtMs: null,
      armed: true,
      burst: burstOf(0, ['churn_risk', 0], ['churn_risk', 0]),
      halfLifeMs,
      threshold,
      nowMs: 0,
    });
    expect(first).toEqual({ score: 16, armed: false, crossed: true });
    const still = evaluateBurst({
      score: 16,
      scoredAtMs: 0,
      armed: false,
      burst: burstOf(100, ['page_view', 100]),
      halfLifeMs,
      threshold,
      nowMs: 100,
    });
    expect(still.crossed).toBe(false);
    const later = evaluateBurst({
      score: 16,
      scoredAtMs: 0,
      armed: false,
      burst: burstOf(2000, ['churn_risk', 2000]),
      halfLifeMs,
      threshold,
      nowMs: 2000,
    });
    // 16 decayed to 4 (below 10, so armed again), plus 8 = 12: a second crossing
    expect(later).toEqual({ score: 12, armed: false, crossed: true });
  });

  it('decays the burst from when its signals occurred to the evaluation', () => {
    const r = evaluateBurst({
      score: 0,
      scoredAtMs: null,
      armed: true,
      burst: burstOf(500, ['churn_risk', 0]),
      halfLifeMs,
      threshold,
      nowMs: 1000,
    });
    expect(r).toMatchObject({ armed: true, crossed: false });
    expect(r.score).toBeCloseTo(4, 9);
  });
});

describe('crm settings defaults', () => {
  it('follow DOMAIN.md: first response 1 h / 4 h / 24 h / 72 h, survey after 3 days, one sales contact per 7 days', () => {
    const { crm } = DEFAULT_SETTINGS;
    expect([crm.sla.urgent, crm.sla.high, crm.sla.normal, crm.sla.low].map((s) => s.firstResponse)).toEqual([
      '1 hour',
      '4 hours',
      '24 hours',
      '72 hours',
    ]);
    expect(crm.surveyDelay).toBe('3 days');
    expect(crm.behaviour.debounceWindow).toBe('10 minutes');
    expect(crm.contactLimits).toEqual({ sales: { max: 1, period: '7 days' } });
  });
});
