using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;

using IdeaScale.Portal.Observability;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim;
using IdeaScale.Portal.Tests.Scim.Credentials;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace IdeaScale.Portal.Tests.Observability;

/// <summary>
/// OTLP export is on exactly when OTEL_EXPORTER_OTLP_ENDPOINT is set. The endpoint here is a collector on a
/// loopback port that records what the app's exporter POSTs (http/protobuf), so nothing leaves the machine.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task AddPortalObservability_WithoutEndpoint_RegistersNoOpenTelemetry()
    {
        using var factory = new PortalFactory();
        using var client = factory.CreateLoopbackClient(PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync(new Uri("/scim/v2/Users?count=1", UriKind.Relative)));

        Assert.Null(factory.Services.GetService<TracerProvider>());
        Assert.Null(factory.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task AddPortalObservability_WithEndpoint_ExportsTracesAndMetricsToIt()
    {
        await using var collector = await OtlpCollector.StartAsync();
        using var factory = new PortalFactory(null, new Dictionary<string, string?>
        {
            [ObservabilitySetup.OtlpEndpointKey] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        using var client = factory.CreateLoopbackClient(PortalFactory.IdesToken);
        var created = await client.PostJsonAsync("/scim/v2/Users",
            """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"otlp.user@ides.example"}""");
        Assert.Equal(201, (int)created.Response.StatusCode);

        // The server ends the request's span and records its duration after the client has the response: flush
        // until both have arrived.
        var tracer = factory.Services.GetRequiredService<TracerProvider>();
        var meter = factory.Services.GetRequiredService<MeterProvider>();
        string spans = "", points = "";
        for (var attempt = 0; attempt < 60 && !(spans.Contains("/scim/v2/Users", StringComparison.Ordinal) && points.Contains("http.server.request.duration", StringComparison.Ordinal)); attempt++)
        {
            Assert.True(tracer.ForceFlush(30_000));
            Assert.True(meter.ForceFlush(30_000));
            spans = string.Join('\n', collector.Received("/v1/traces").Select(t => t.Text));
            points = string.Join('\n', collector.Received("/v1/metrics").Select(m => m.Text));
            await Task.Delay(100);
        }

        Assert.All(collector.Received("/v1/traces").Concat(collector.Received("/v1/metrics")), p => Assert.Equal("application/x-protobuf", p.ContentType));
        Assert.Contains(ObservabilitySetup.DefaultServiceName, spans, StringComparison.Ordinal);
        Assert.Contains("/scim/v2/Users", spans, StringComparison.Ordinal); // the ASP.NET Core request span
        // Its SQL: EF Core's spans on SQLite; on PostgreSQL Npgsql's own source (EF Core's then left out, one span per command).
        Assert.Contains(PortalFactory.Provider == DatabaseProvider.PostgreSql ? "Npgsql" : "OpenTelemetry.Instrumentation.EntityFrameworkCore", spans, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.IdesToken, spans, StringComparison.Ordinal);
        Assert.Contains("scim.requests", points, StringComparison.Ordinal);
        Assert.Contains("scim.request.duration", points, StringComparison.Ordinal);
        Assert.Contains("http.server.request.duration", points, StringComparison.Ordinal);
    }

    /// <summary>A stand-in OTLP/HTTP receiver on 127.0.0.1 that keeps every POST body (protobuf strings are plain UTF-8).</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly ConcurrentQueue<(string Path, string? ContentType, string Text)> posts = new();

        private OtlpCollector(WebApplication app) => this.app = app;

        public string Endpoint => app.Urls.Single();

        public static async Task<OtlpCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var collector = new OtlpCollector(builder.Build());
            collector.app.MapPost("/v1/{signal}", collector.ReceiveAsync);
            await collector.app.StartAsync();
            return collector;
        }

        public List<(string Path, string? ContentType, string Text)> Received(string path) => posts.Where(p => p.Path == path).ToList();

        private async Task ReceiveAsync(HttpContext context)
        {
            var body = context.Request.Headers.ContentEncoding == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
            using var buffer = new MemoryStream();
            await body.CopyToAsync(buffer);
            posts.Enqueue((context.Request.Path, context.Request.ContentType, Encoding.UTF8.GetString(buffer.ToArray())));
            context.Response.ContentType = "application/x-protobuf";
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
