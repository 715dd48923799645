// Package clickhouseledger is the ClickHouse exporter of the TokenLedger Collector: the contrib
// clickhouse exporter, same configuration, plus one thing it lacks — a batch that ClickHouse refuses
// because of some of its rows is split until those rows are found; the others are inserted at once
// and the refused ones are dropped as permanent failures, counted in
// otelcol_exporter_send_failed_* under the exporter id "<id>/refused" and logged.
//
// Without it every ClickHouse error is retryable to the Collector: one bad row keeps its whole batch
// (up to sending_queue.batch.max_size rows of many applications) retrying for
// retry_on_failure.max_elapsed_time, and then drops all of it.
//
// How: the contrib exporter runs inside, with its queue and retries switched off, as a plain
// "insert once" function; this exporter's own exporterhelper holds the configured sending_queue
// (persistent, batched) and retry_on_failure around it.
package clickhouseledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/clickhouseexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config is the contrib exporter's configuration, unchanged.
type Config struct {
	clickhouseexporter.Config `mapstructure:",squash"`
}

var contrib = clickhouseexporter.NewFactory()

// NewFactory registers under the contrib exporter's type name, clickhouse, so that a configuration
// runs unchanged on this distribution and on the upstream contrib one (which lacks the splitting).
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		contrib.Type(),
		func() component.Config {
			return &Config{Config: *contrib.CreateDefaultConfig().(*clickhouseexporter.Config)}
		},
		exporter.WithLogs(createLogs, contrib.LogsStability()),
		exporter.WithTraces(createTraces, contrib.TracesStability()),
		exporter.WithMetrics(createMetrics, contrib.MetricsStability()),
	)
}

// insertOnce is the contrib configuration with no queue and no retry: one call, one INSERT.
func insertOnce(cfg *Config) *clickhouseexporter.Config {
	inner := cfg.Config
	inner.QueueSettings = configoptional.None[exporterhelper.QueueBatchConfig]()
	inner.BackOffConfig.Enabled = false
	return &inner
}

// innerSettings: the inner exporter reports no metrics of its own (every insert attempt would be
// counted again beside this exporter's batch-level figures) and does not log each failed attempt
// (with no queue of its own it would log "Rejecting data. Try enabling sending_queue" for an
// attempt that the outer exporter retries); everything else it logs is kept.
func innerSettings(set exporter.Settings) exporter.Settings {
	inner := set
	inner.TelemetrySettings.MeterProvider = noop.NewMeterProvider()
	inner.TelemetrySettings.Logger = set.Logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return attemptFilter{c}
	}))
	return inner
}

// attemptFilter drops the helper's per-attempt failure line; the outer exporter logs the outcome.
type attemptFilter struct{ zapcore.Core }

func (f attemptFilter) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if strings.HasPrefix(e.Message, "Exporting failed. Rejecting data.") {
		return ce
	}
	return f.Core.Check(e, ce)
}

func (f attemptFilter) With(fields []zapcore.Field) zapcore.Core {
	return attemptFilter{f.Core.With(fields)}
}

// refusedSettings: the id under which refused rows are counted as permanent send failures.
func refusedSettings(set exporter.Settings) exporter.Settings {
	refused := set
	name := "refused"
	if set.ID.Name() != "" {
		name = set.ID.Name() + "_refused"
	}
	refused.ID = component.NewIDWithName(set.ID.Type(), name)
	refused.TelemetrySettings.Logger = innerSettings(set).TelemetrySettings.Logger
	return refused
}

type refusalKey struct{}

// failRefused is the push function of the "refused" exporter: it counts what it is given as a
// permanent failure carrying ClickHouse's answer.
func failRefused(ctx context.Context) error {
	cause, _ := ctx.Value(refusalKey{}).(error)
	if cause == nil {
		cause = errRefused
	}
	return consumererror.NewPermanent(fmt.Errorf("%w: %w", errRefused, cause))
}

// outer builds the exporter the pipeline sees: the configured queue, retry and a timeout-free
// push (the inner exporter applies the configured timeout to each insert).
func outerOptions(cfg *Config, start component.StartFunc, shutdown component.ShutdownFunc) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(start),
		exporterhelper.WithShutdown(shutdown),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithQueue(cfg.QueueSettings),
		exporterhelper.WithRetry(cfg.BackOffConfig),
	}
}

func disabledRetry() configretry.BackOffConfig {
	r := configretry.NewDefaultBackOffConfig()
	r.Enabled = false
	return r
}

var noQueue = exporterhelper.WithQueue(configoptional.None[exporterhelper.QueueBatchConfig]())

func report[T any](logger *zap.Logger, signal string, out outcome[T], refusedUnits int) {
	if len(out.refused) == 0 {
		return
	}
	logger.Error("ClickHouse refused rows for their content; they are dropped, the rest of their batch was inserted",
		zap.String("data_type", signal),
		zap.Int("refused_units", refusedUnits),
		zap.Int("inserted_units", out.inserted),
		zap.Int("inserts", out.inserts),
		zap.NamedError("clickhouse_error", out.refusal))
}

func createLogs(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Logs, error) {
	cfg := c.(*Config)
	inner, err := contrib.CreateLogs(ctx, innerSettings(set), insertOnce(cfg))
	if err != nil {
		return nil, err
	}
	refused, err := exporterhelper.NewLogs(ctx, refusedSettings(set), cfg,
		func(ctx context.Context, _ plog.Logs) error { return failRefused(ctx) },
		noQueue, exporterhelper.WithRetry(disabledRetry()))
	if err != nil {
		return nil, err
	}
	p := parts[plog.Logs]{
		count:  func(ld plog.Logs) int { return ld.LogRecordCount() },
		halve:  halveLogs,
		join:   joinLogs,
		insert: inner.ConsumeLogs,
	}
	push := func(ctx context.Context, ld plog.Logs) error {
		out, err := isolate(ctx, p, ld)
		if err != nil {
			return err
		}
		if len(out.refused) > 0 {
			all := joinLogs(out.refused)
			report(set.Logger, "logs", out, all.LogRecordCount())
			_ = refused.ConsumeLogs(context.WithValue(ctx, refusalKey{}, out.refusal), all)
		}
		if len(out.pending) > 0 {
			return consumererror.NewLogs(out.pendingErr, joinLogs(out.pending))
		}
		return nil
	}
	return exporterhelper.NewLogs(ctx, set, cfg, push, outerOptions(cfg, startBoth(inner, refused), shutdownBoth(inner, refused))...)
}

func createTraces(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Traces, error) {
	cfg := c.(*Config)
	inner, err := contrib.CreateTraces(ctx, innerSettings(set), insertOnce(cfg))
	if err != nil {
		return nil, err
	}
	refused, err := exporterhelper.NewTraces(ctx, refusedSettings(set), cfg,
		func(ctx context.Context, _ ptrace.Traces) error { return failRefused(ctx) },
		noQueue, exporterhelper.WithRetry(disabledRetry()))
	if err != nil {
		return nil, err
	}
	p := parts[ptrace.Traces]{
		count:  func(td ptrace.Traces) int { return td.SpanCount() },
		halve:  halveTraces,
		join:   joinTraces,
		insert: inner.ConsumeTraces,
	}
	push := func(ctx context.Context, td ptrace.Traces) error {
		out, err := isolate(ctx, p, td)
		if err != nil {
			return err
		}
		if len(out.refused) > 0 {
			all := joinTraces(out.refused)
			report(set.Logger, "traces", out, all.SpanCount())
			_ = refused.ConsumeTraces(context.WithValue(ctx, refusalKey{}, out.refusal), all)
		}
		if len(out.pending) > 0 {
			return consumererror.NewTraces(out.pendingErr, joinTraces(out.pending))
		}
		return nil
	}
	return exporterhelper.NewTraces(ctx, set, cfg, push, outerOptions(cfg, startBoth(inner, refused), shutdownBoth(inner, refused))...)
}

func createMetrics(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Metrics, error) {
	cfg := c.(*Config)
	inner, err := contrib.CreateMetrics(ctx, innerSettings(set), insertOnce(cfg))
	if err != nil {
		return nil, err
	}
	refused, err := exporterhelper.NewMetrics(ctx, refusedSettings(set), cfg,
		func(ctx context.Context, _ pmetric.Metrics) error { return failRefused(ctx) },
		noQueue, exporterhelper.WithRetry(disabledRetry()))
	if err != nil {
		return nil, err
	}
	p := parts[pmetric.Metrics]{
		count:  metricCount,
		halve:  halveMetrics,
		join:   joinMetrics,
		insert: inner.ConsumeMetrics,
	}
	push := func(ctx context.Context, md pmetric.Metrics) error {
		out, err := isolate(ctx, p, md)
		if err != nil {
			return err
		}
		if len(out.refused) > 0 {
			all := joinMetrics(out.refused)
			report(set.Logger, "metrics", out, all.DataPointCount())
			_ = refused.ConsumeMetrics(context.WithValue(ctx, refusalKey{}, out.refusal), all)
		}
		if len(out.pending) > 0 {
			return consumererror.NewMetrics(out.pendingErr, joinMetrics(out.pending))
		}
		return nil
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, push, outerOptions(cfg, startBoth(inner, refused), shutdownBoth(inner, refused))...)
}

func startBoth(inner, refused component.Component) component.StartFunc {
	return func(ctx context.Context, host component.Host) error {
		if err := refused.Start(ctx, host); err != nil {
			return err
		}
		return inner.Start(ctx, host)
	}
}

func shutdownBoth(inner, refused component.Component) component.ShutdownFunc {
	return func(ctx context.Context) error {
		err := inner.Shutdown(ctx)
		if rerr := refused.Shutdown(ctx); err == nil {
			err = rerr
		}
		return err
	}
}
