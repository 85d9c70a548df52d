using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace IdeaScale.Portal.Observability;

/// <summary>
/// OpenTelemetry traces and metrics, exported over OTLP when (and only when) the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, as an environment variable or any other configuration source. The
/// exporter reads the other standard variables itself (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>, ...).
/// Without the endpoint nothing of OpenTelemetry is registered: no activity listener, no metric reader, so a
/// request pays nothing for it. <see cref="ScimMetrics"/> is always registered; its instruments cost a flag check
/// until something listens.
/// <para>
/// Traces: ASP.NET Core (health probes left out), EF Core commands, and Npgsql's own <c>Npgsql</c> activity source
/// (EF Core's spans of Npgsql commands are then left out, so a PostgreSQL command is one span, not two).
/// Metrics: ASP.NET Core and Kestrel, Blazor Server circuits, EF Core, Npgsql, and <see cref="ScimMetrics.MeterName"/>.
/// </para>
/// </summary>
public static class ObservabilitySetup
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string DefaultServiceName = "IdeaScale.Portal";

    /// <summary>Npgsql's ActivitySource and Meter (what Npgsql.OpenTelemetry's AddNpgsql() registers).</summary>
    private const string Npgsql = "Npgsql";
    private const string NpgsqlEfProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public static WebApplicationBuilder AddPortalObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ScimMetrics>();
        if (string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]))
        {
            return builder;
        }

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : DefaultServiceName;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
                .AddEntityFrameworkCoreInstrumentation(o => o.Filter = (provider, _) => provider != NpgsqlEfProvider)
                .AddSource(Npgsql)
                .AddOtlpExporter())
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.AspNetCore.Components.Server.Circuits", "Microsoft.EntityFrameworkCore", Npgsql, ScimMetrics.MeterName)
                .AddOtlpExporter());
        return builder;
    }
}
