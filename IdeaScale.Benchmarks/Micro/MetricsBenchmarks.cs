using System.Diagnostics.Metrics;

using BenchmarkDotNet.Attributes;

using IdeaScale.Portal.Data.Entities;
using IdeaScale.Portal.Observability;

using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Benchmarks.Micro;

/// <summary>
/// What the SCIM meters add to a request (ScimRequestRecorder calls <see cref="ScimMetrics.RecordRequest"/> once
/// per request when something listens): with no listener (the default, OTEL_EXPORTER_OTLP_ENDPOINT unset) the
/// recorder only reads <see cref="ScimMetrics.RequestsObserved"/>; with a listener, the counter and the histogram
/// each pass four tags to it. The listener here does nothing with them, so an exporter's aggregation comes on top.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks : IDisposable
{
    private static readonly TimeSpan Elapsed = TimeSpan.FromMilliseconds(0.4);

    private ServiceProvider quietServices = null!;
    private ServiceProvider observedServices = null!;
    private ScimMetrics quiet = null!;
    private ScimMetrics observed = null!;
    private MeterListener listener = null!;

    [GlobalSetup]
    public void Setup()
    {
        quietServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        observedServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        quiet = new ScimMetrics(quietServices.GetRequiredService<IMeterFactory>());
        observed = new ScimMetrics(observedServices.GetRequiredService<IMeterFactory>());
        var observedFactory = observedServices.GetRequiredService<IMeterFactory>();
        listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == observedFactory)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        listener.Start();
    }

    /// <summary>The recorder's whole cost per request when nothing listens.</summary>
    [Benchmark(Baseline = true)]
    public bool NoListener() => quiet.RequestsObserved;

    [Benchmark]
    public void RecordRequest_WithListener()
    {
        if (observed.RequestsObserved)
        {
            observed.RecordRequest("ides", ProvisioningOperation.Create, 409, "uniqueness", Elapsed);
        }
    }

    [Benchmark]
    public void RecordCacheLookup_WithListener() => observed.RecordCacheLookup("credential", hit: true);

    public void Dispose()
    {
        listener?.Dispose();
        quietServices?.Dispose();
        observedServices?.Dispose();
        GC.SuppressFinalize(this);
    }
}
