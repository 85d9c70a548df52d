using System.Net.Http.Headers;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;

namespace IdeaScale.Portal.Tests.Scim.Limits;

public sealed class ScimRequestLimitsTests
{
    private const string Probe = "scim/v2/Users";

    [Fact]
    public async Task Request_BeyondTheWorkspacesBurst_Returns429WithRetryAfterAndOtherWorkspacesAreUnaffected()
    {
        // Three requests at once, then one token every 1000 s: deterministic without timing.
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Scim:RateLimit:RequestsPerSecond"] = "0.001",
            ["Scim:RateLimit:Burst"] = "3",
        });
        using var ides = factory.Scim(PortalFactory.IdesToken);
        for (var i = 0; i < 3; i++)
        {
            ScimAssert.Ok(await ides.GetAsync(Probe));
        }

        using var limited = await ides.GetAsync(Probe);
        await ScimAssert.ErrorAsync(limited, 429);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter >= TimeSpan.FromSeconds(1));

        using var acme = factory.Scim(PortalFactory.AcmeToken);
        ScimAssert.Ok(await acme.GetAsync(Probe));

        // Portal traffic does not share the SCIM buckets.
        using var portal = factory.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await portal.GetAsync("/health/live")).StatusCode);

        // Unauthenticated requests are refused before they can drain a workspace's bucket.
        using var anonymous = factory.Scim();
        await ScimAssert.ErrorAsync(await anonymous.GetAsync(Probe), 401);
    }

    [Fact]
    public async Task Request_WithRateLimitOff_IsNeverLimited()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Scim:RateLimit:RequestsPerSecond"] = "0",
            ["Scim:RateLimit:Burst"] = "1",
        });
        using var ides = factory.Scim(PortalFactory.IdesToken);
        for (var i = 0; i < 10; i++)
        {
            ScimAssert.Ok(await ides.GetAsync(Probe));
        }
    }

    [Fact]
    public async Task Request_WithBodyLargerThanTheLimit_Returns413()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["Scim:MaxRequestBodyBytes"] = "1000" });
        using var ides = factory.Scim(PortalFactory.IdesToken);

        using var declared = new ByteArrayContent(new byte[1001]);
        declared.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");
        var body = await ScimAssert.ErrorAsync(await ides.PostAsync(Probe, declared), 413);
        Assert.DoesNotContain(PortalFactory.IdesToken, body.ToString(), StringComparison.Ordinal);

        // Chunked (no Content-Length): enforced while the body is read.
        using var chunked = new StreamContent(new MemoryStream(new byte[5000]));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");
        using var request = new HttpRequestMessage(HttpMethod.Post, Probe) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ScimAssert.ErrorAsync(await ides.SendAsync(request), 413);
    }

    [Fact]
    public async Task Request_AtTheDefaultLimits_AllowsABurstOf25()
    {
        using var factory = new AccessFactory();
        using var ides = factory.Scim(PortalFactory.IdesToken);
        var responses = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => ides.GetAsync(Probe)));
        Assert.All(responses, ScimAssert.Ok);

        using var atLimit = new ByteArrayContent(new byte[1024 * 1024]);
        atLimit.Headers.ContentType = new MediaTypeHeaderValue("application/scim+json");
        Assert.NotEqual(413, (int)(await ides.PostAsync(Probe, atLimit)).StatusCode);
    }
}
