using System.Net;
using System.Text.RegularExpressions;

using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IdeaScale.Portal.Tests.Security;

/// <summary>
/// The app on Kestrel at a loopback port, called the way a TLS-terminating proxy on the same machine calls it
/// (issue 11, item 4): <c>X-Forwarded-Proto: https</c> makes the request HTTPS to the app, so cookies are Secure and
/// HSTS applies; from a proxy that is not configured as known, the header is ignored.
/// </summary>
public sealed partial class ReverseProxyTests
{
    private static HttpClient KestrelClient(WebApplicationFactory<Program> factory)
    {
        factory.UseKestrel(0);
        factory.StartServer();
        return new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = factory.ClientOptions.BaseAddress };
    }

    private static IReadOnlyList<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? [.. values] : [];

    private static string CookieNamed(IEnumerable<string> setCookies, string prefix) =>
        setCookies.Single(c => c.StartsWith(prefix, StringComparison.Ordinal));

    private static bool IsSecure(string setCookie) =>
        setCookie.Split(';').Skip(1).Any(a => a.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase));

    /// <summary>GET the sign-in page and POST it, both with the given forwarded scheme; returns (page response, sign-in response).</summary>
    private static async Task<(HttpResponseMessage Page, HttpResponseMessage SignIn)> SignInAsync(HttpClient client, string? forwardedProto)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
        if (forwardedProto is not null)
        {
            get.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        var page = await client.SendAsync(get);
        var html = await page.Content.ReadAsStringAsync();
        var antiforgeryCookie = CookieNamed(SetCookies(page), ".AspNetCore.Antiforgery.").Split(';')[0];
        using var post = new HttpRequestMessage(HttpMethod.Post, "/Account/Login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(AntiforgeryField().Match(html).Groups[1].Value),
                ["Input.Email"] = "admin@ides.example",
                ["Input.Password"] = PortalFactory.AdminPassword,
            }),
        };
        post.Headers.Add("Cookie", antiforgeryCookie);
        if (forwardedProto is not null)
        {
            post.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        var signIn = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return (page, signIn);
    }

    [Fact]
    public async Task ForwardedProtoHttps_FromLoopbackProxy_CookiesAreSecure()
    {
        using var factory = new PortalFactory();
        using var client = KestrelClient(factory);

        var (page, signIn) = await SignInAsync(client, "https");

        Assert.True(IsSecure(CookieNamed(SetCookies(page), ".AspNetCore.Antiforgery.")));
        Assert.True(IsSecure(CookieNamed(SetCookies(signIn), ".AspNetCore.Identity.Application=")));
    }

    [Fact]
    public async Task NoForwardedProto_OverPlainHttp_CookiesAreNotSecure()
    {
        using var factory = new PortalFactory();
        using var client = KestrelClient(factory);

        var (page, signIn) = await SignInAsync(client, forwardedProto: null);

        Assert.False(IsSecure(CookieNamed(SetCookies(page), ".AspNetCore.Antiforgery.")));
        Assert.False(IsSecure(CookieNamed(SetCookies(signIn), ".AspNetCore.Identity.Application=")));
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "192.0.2.10")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/8")]
    public async Task ForwardedProtoHttps_WhenLoopbackIsNotAKnownProxy_IsIgnored(string key, string value)
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { [key] = value });
        using var client = KestrelClient(factory);

        var (page, signIn) = await SignInAsync(client, "https");

        Assert.False(IsSecure(CookieNamed(SetCookies(page), ".AspNetCore.Antiforgery.")));
        Assert.False(IsSecure(CookieNamed(SetCookies(signIn), ".AspNetCore.Identity.Application=")));
    }

    [Fact]
    public async Task ForwardedProtoHttps_InProduction_SendsHsts()
    {
        using var factory = new PortalFactory();
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        using var client = KestrelClient(production);

        async Task<HttpResponseMessage> GetAsync(string? forwardedProto)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
            request.Headers.Host = "portal.example"; // HSTS is never sent for localhost
            if (forwardedProto is not null)
            {
                request.Headers.Add("X-Forwarded-Proto", forwardedProto);
            }

            return await client.SendAsync(request);
        }

        var https = await GetAsync("https");
        Assert.Equal(HttpStatusCode.OK, https.StatusCode);
        Assert.StartsWith("max-age=", string.Join(",", https.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
        Assert.False((await GetAsync(null)).Headers.Contains("Strict-Transport-Security"));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
