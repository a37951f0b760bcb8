import { caseHref, Time } from './layout.js';
import type { DeadLetters } from './queries.js';

/**
 * Mail that did not get through, where ops cannot miss it: outbound messages
 * that failed (being retried) or are dead (retries exhausted), and inbound
 * messages whose processing failed.
 */

function CaseLink(props: { ticket: string | undefined | null }) {
  return props.ticket ? <a href={caseHref(props.ticket)}>{props.ticket}</a> : <span class="muted">no case</span>;
}

function short(text: string | null, max = 160): string {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function DeadLetterPanel(props: { dead: DeadLetters }) {
  const { dead } = props;
  const count = (status: string) => dead.outboundCounts.find((c) => c.key === status)?.count ?? 0;
  const trouble = count('dead') + count('failed') + dead.inboundFailed > 0;
  return (
    <section class={trouble ? 'panel alert' : 'panel'} id="dead-letters">
      <h2>Undelivered and failed mail</h2>
      <table class="numbers" id="dead-letter-counts">
        <tbody>
          <tr>
            <th>outbound dead (retries exhausted)</th>
            <td class="num">{count('dead')}</td>
          </tr>
          <tr>
            <th>outbound failed (retrying)</th>
            <td class="num">{count('failed')}</td>
          </tr>
          <tr>
            <th>inbound failed processing</th>
            <td class="num">{dead.inboundFailed}</td>
          </tr>
        </tbody>
      </table>
      {dead.outbound.length > 0 ? (
        <table id="dead-outbound">
          <caption>Outbound, newest first</caption>
          <thead>
            <tr>
              <th>case</th>
              <th>status</th>
              <th>kind</th>
              <th>to</th>
              <th>queued</th>
              <th class="num">attempts</th>
              <th>last error</th>
            </tr>
          </thead>
          <tbody>
            {dead.outbound.map((m) => (
              <tr>
                <td>
                  <CaseLink ticket={m.case.ticket} />
                </td>
                <td class={m.status === 'dead' ? 'bad' : 'warn'}>{m.status}</td>
                <td>{m.kind}</td>
                <td>{m.to.join(', ')}</td>
                <td>
                  <Time at={m.at} />
                </td>
                <td class="num">{m.attempts}</td>
                <td class="error-text">{short(m.lastError)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {dead.inbound.length > 0 ? (
        <table id="dead-inbound">
          <caption>Inbound, newest first</caption>
          <thead>
            <tr>
              <th>case</th>
              <th>message</th>
              <th>received</th>
              <th>envelope from</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>
            {dead.inbound.map((m) => (
              <tr>
                <td>
                  <CaseLink ticket={m.case?.ticket} />
                </td>
                <td>
                  <code>{m.id}</code>
                </td>
                <td>
                  <Time at={m.receivedAt} />
                </td>
                <td>{m.envelopeFrom || '<>'}</td>
                <td class="error-text">{short(m.error)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
