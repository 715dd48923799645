package clickhouseledger

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// fakeTable answers inserts like ClickHouse with a CHECK constraint: a batch holding a record whose
// body is "poison" is refused whole (Code 469); down, it refuses everything with a network error.
type fakeTable struct {
	rows    []string
	inserts int
	down    bool
	code    int
}

func (f *fakeTable) insert(_ context.Context, ld plog.Logs) error {
	f.inserts++
	if f.down {
		return errors.New("dial tcp 127.0.0.1:8123: connect: connection refused")
	}
	var bodies []string
	bad := false
	rls := ld.ResourceLogs()
	for r := 0; r < rls.Len(); r++ {
		for s := 0; s < rls.At(r).ScopeLogs().Len(); s++ {
			recs := rls.At(r).ScopeLogs().At(s).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				b := recs.At(k).Body().AsString()
				bad = bad || b == "poison"
				bodies = append(bodies, b)
			}
		}
	}
	if bad {
		code := f.code
		if code == 0 {
			code = 469
		}
		return fmt.Errorf("logs insert failed: [HTTP 400] response body: \"Code: %d. DB::Exception: refused. (X)\"", code)
	}
	f.rows = append(f.rows, bodies...)
	return nil
}

func logsOf(bodies ...string) plog.Logs {
	ld := plog.NewLogs()
	for i, b := range bodies {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc%d", i%2))
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("scope")
		sl.LogRecords().AppendEmpty().Body().SetStr(b)
		sl.LogRecords().AppendEmpty().Body().SetStr(b + "-2")
	}
	return ld
}

func partsFor(f *fakeTable) parts[plog.Logs] {
	return parts[plog.Logs]{
		count:  func(ld plog.Logs) int { return ld.LogRecordCount() },
		halve:  halveLogs,
		join:   joinLogs,
		insert: f.insert,
	}
}

func TestPoisonIsIsolatedAndTheRestInserted(t *testing.T) {
	f := &fakeTable{}
	ld := logsOf("a", "b", "c", "d", "e", "f", "g", "h")
	ld.ResourceLogs().At(5).ScopeLogs().At(0).LogRecords().At(1).Body().SetStr("poison")
	out, err := isolate(context.Background(), partsFor(f), ld)
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if out.inserted != 15 || len(f.rows) != 15 {
		t.Fatalf("inserted %d (table %d), want 15", out.inserted, len(f.rows))
	}
	refused := joinLogs(out.refused)
	if refused.LogRecordCount() != 1 || refused.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().AsString() != "poison" {
		t.Fatalf("refused %d records", refused.LogRecordCount())
	}
	if svc, _ := refused.ResourceLogs().At(0).Resource().Attributes().Get("service.name"); svc.AsString() != "svc1" {
		t.Fatalf("the refused record lost its resource: %v", svc.AsString())
	}
	if f.inserts > 1+2*4 {
		t.Fatalf("%d inserts for one bad record in 16", f.inserts)
	}
}

func TestRefusalOfEveryRowIsRetriedWhole(t *testing.T) {
	f := &fakeTable{}
	ld := logsOf("poison", "poison")
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Body().SetStr("poison")
	ld.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(1).Body().SetStr("poison")
	_, err := isolate(context.Background(), partsFor(f), ld)
	if err == nil || !isRowRefusal(err) {
		t.Fatalf("want the original refusal back for a whole retry, got %v", err)
	}
}

func TestOtherErrorsAreRetriedWhole(t *testing.T) {
	f := &fakeTable{down: true}
	out, err := isolate(context.Background(), partsFor(f), logsOf("a", "poison"))
	if err == nil || isRowRefusal(err) || f.inserts != 1 || len(out.refused) != 0 {
		t.Fatalf("want one insert and the network error, got %v after %d inserts", err, f.inserts)
	}
	f = &fakeTable{code: 60} // UNKNOWN_TABLE: about the schema, not the rows
	_, err = isolate(context.Background(), partsFor(f), logsOf("a", "poison"))
	if err == nil || f.inserts != 1 {
		t.Fatalf("a schema error must not split: %v after %d inserts", err, f.inserts)
	}
}

func TestClassification(t *testing.T) {
	for msg, want := range map[string]bool{
		"logs insert failed: [HTTP 400] response body: \"Code: 469. DB::Exception: Constraint violated\"": true,
		"Code: 6. DB::Exception: Cannot parse text":                                                       true,
		"failed to append log row: converting string to Int64 is unsupported":                             true,
		"Code: 516. DB::Exception: default: Authentication failed":                                        false,
		"Code: 241. DB::Exception: Memory limit (total) exceeded":                                         false,
		"context deadline exceeded":                                                                       false,
		"Code: 4690. DB::Exception: not a real code":                                                      false,
	} {
		if got := isRowRefusal(errors.New(msg)); got != want {
			t.Errorf("%q: got %v want %v", msg, got, want)
		}
	}
}
