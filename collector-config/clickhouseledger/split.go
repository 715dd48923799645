package clickhouseledger

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Halving copies the resource and scope of every unit it keeps, so each half is a complete payload.

func halveLogs(ld plog.Logs) (plog.Logs, plog.Logs) {
	half := ld.LogRecordCount() / 2
	a, b := plog.NewLogs(), plog.NewLogs()
	var ra, rb, cur *plog.ResourceLogs
	var sa, sb, scur *plog.ScopeLogs
	i := 0
	for r := 0; r < ld.ResourceLogs().Len(); r++ {
		rl := ld.ResourceLogs().At(r)
		ra, rb = nil, nil
		for s := 0; s < rl.ScopeLogs().Len(); s++ {
			sl := rl.ScopeLogs().At(s)
			sa, sb = nil, nil
			for k := 0; k < sl.LogRecords().Len(); k++ {
				out, rp, sp := a, &ra, &sa
				if i >= half {
					out, rp, sp = b, &rb, &sb
				}
				if *rp == nil {
					n := out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(n.Resource())
					n.SetSchemaUrl(rl.SchemaUrl())
					*rp = &n
				}
				cur = *rp
				if *sp == nil {
					n := cur.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(n.Scope())
					n.SetSchemaUrl(sl.SchemaUrl())
					*sp = &n
				}
				scur = *sp
				sl.LogRecords().At(k).CopyTo(scur.LogRecords().AppendEmpty())
				i++
			}
		}
	}
	return a, b
}

func joinLogs(all []plog.Logs) plog.Logs {
	out := plog.NewLogs()
	for _, ld := range all {
		ld.ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
	}
	return out
}

func halveTraces(td ptrace.Traces) (ptrace.Traces, ptrace.Traces) {
	half := td.SpanCount() / 2
	a, b := ptrace.NewTraces(), ptrace.NewTraces()
	var ra, rb, cur *ptrace.ResourceSpans
	var sa, sb, scur *ptrace.ScopeSpans
	i := 0
	for r := 0; r < td.ResourceSpans().Len(); r++ {
		rs := td.ResourceSpans().At(r)
		ra, rb = nil, nil
		for s := 0; s < rs.ScopeSpans().Len(); s++ {
			ss := rs.ScopeSpans().At(s)
			sa, sb = nil, nil
			for k := 0; k < ss.Spans().Len(); k++ {
				out, rp, sp := a, &ra, &sa
				if i >= half {
					out, rp, sp = b, &rb, &sb
				}
				if *rp == nil {
					n := out.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(n.Resource())
					n.SetSchemaUrl(rs.SchemaUrl())
					*rp = &n
				}
				cur = *rp
				if *sp == nil {
					n := cur.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(n.Scope())
					n.SetSchemaUrl(ss.SchemaUrl())
					*sp = &n
				}
				scur = *sp
				ss.Spans().At(k).CopyTo(scur.Spans().AppendEmpty())
				i++
			}
		}
	}
	return a, b
}

func joinTraces(all []ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range all {
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

// metricCount counts metrics (each with all its data points): the unit metrics are split by.
func metricCount(md pmetric.Metrics) int {
	n := 0
	for r := 0; r < md.ResourceMetrics().Len(); r++ {
		rm := md.ResourceMetrics().At(r)
		for s := 0; s < rm.ScopeMetrics().Len(); s++ {
			n += rm.ScopeMetrics().At(s).Metrics().Len()
		}
	}
	return n
}

func halveMetrics(md pmetric.Metrics) (pmetric.Metrics, pmetric.Metrics) {
	half := metricCount(md) / 2
	a, b := pmetric.NewMetrics(), pmetric.NewMetrics()
	var ra, rb, cur *pmetric.ResourceMetrics
	var sa, sb, scur *pmetric.ScopeMetrics
	i := 0
	for r := 0; r < md.ResourceMetrics().Len(); r++ {
		rm := md.ResourceMetrics().At(r)
		ra, rb = nil, nil
		for s := 0; s < rm.ScopeMetrics().Len(); s++ {
			sm := rm.ScopeMetrics().At(s)
			sa, sb = nil, nil
			for k := 0; k < sm.Metrics().Len(); k++ {
				out, rp, sp := a, &ra, &sa
				if i >= half {
					out, rp, sp = b, &rb, &sb
				}
				if *rp == nil {
					n := out.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(n.Resource())
					n.SetSchemaUrl(rm.SchemaUrl())
					*rp = &n
				}
				cur = *rp
				if *sp == nil {
					n := cur.ScopeMetrics().AppendEmpty()
					sm.Scope().CopyTo(n.Scope())
					n.SetSchemaUrl(sm.SchemaUrl())
					*sp = &n
				}
				scur = *sp
				sm.Metrics().At(k).CopyTo(scur.Metrics().AppendEmpty())
				i++
			}
		}
	}
	return a, b
}

func joinMetrics(all []pmetric.Metrics) pmetric.Metrics {
	out := pmetric.NewMetrics()
	for _, md := range all {
		md.ResourceMetrics().MoveAndAppendTo(out.ResourceMetrics())
	}
	return out
}
