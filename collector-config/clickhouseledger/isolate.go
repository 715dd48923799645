package clickhouseledger

import (
	"context"
)

// parts tells isolate how to handle one kind of telemetry (logs, metrics, traces).
type parts[T any] struct {
	// count is the number of units isolate can split between (records, metrics, spans).
	count func(T) int
	// halve splits into two non-empty parts, order kept; only called with count >= 2.
	halve func(T) (T, T)
	// join puts parts back into one payload (order kept).
	join func([]T) T
	// insert sends one payload to ClickHouse, once, without retry.
	insert func(context.Context, T) error
}

// outcome of one isolate call.
type outcome[T any] struct {
	// refused: the units ClickHouse refused for their content while others of the same payload were
	// inserted; nil when there are none.
	refused []T
	// refusal is ClickHouse's answer to the first refused unit.
	refusal error
	// pending: what could not be inserted for another reason (the server went away meanwhile, …),
	// to be retried; nil when there is none. pendingErr is the last such error.
	pending    []T
	pendingErr error
	// inserted units and the number of inserts made.
	inserted int
	inserts  int
}

// isolate inserts payload; when ClickHouse refuses it for its content it halves the payload and
// inserts each half, recursively, until every unit is either inserted or refused on its own. The
// first error is returned unchanged (whole payload to retry) when it is no content refusal, or
// when nothing of the payload could be inserted at all — a refusal that every unit gets is about the
// table or the server, not the data, and is retried like an outage.
func isolate[T any](ctx context.Context, p parts[T], payload T) (outcome[T], error) {
	var out outcome[T]
	first := p.insert(ctx, payload)
	out.inserts++
	if first == nil {
		out.inserted = p.count(payload)
		return out, nil
	}
	if !isRowRefusal(first) {
		return out, first
	}
	if p.count(payload) < 2 {
		// A lone unit refused for its content: nothing to compare it with, but the server named the
		// data as the cause; retrying it cannot help.
		out.refused = []T{payload}
		out.refusal = first
		return out, nil
	}
	a, b := p.halve(payload)
	work := []T{a, b}
	for len(work) > 0 {
		if ctx.Err() != nil {
			out.pending = append(out.pending, work...)
			out.pendingErr = ctx.Err()
			break
		}
		part := work[0]
		work = work[1:]
		err := p.insert(ctx, part)
		out.inserts++
		switch {
		case err == nil:
			out.inserted += p.count(part)
		case isRowRefusal(err) && p.count(part) >= 2:
			x, y := p.halve(part)
			// Depth first keeps the order of the retried remainder close to the original.
			work = append([]T{x, y}, work...)
		case isRowRefusal(err):
			out.refused = append(out.refused, part)
			if out.refusal == nil {
				out.refusal = err
			}
		default:
			out.pending = append(out.pending, part)
			out.pendingErr = err
		}
	}
	if out.inserted == 0 {
		// Every unit refused (or nothing got through): not a few bad rows. Retry the whole payload.
		return outcome[T]{inserts: out.inserts}, first
	}
	return out, nil
}
