using System.Net;
using System.Text.RegularExpressions;

using Microsoft.AspNetCore.Mvc.Testing;

namespace IdeaScale.Portal.Tests.Infrastructure;

/// <summary>Signs in through the real static-SSR Identity pages (antiforgery token and all) with a cookie-keeping client.</summary>
public static partial class FormSignIn
{
    /// <summary>A client that keeps cookies and does not follow redirects, so tests see 302s.</summary>
    public static HttpClient NewClient(WebApplicationFactory<Program> factory) =>
        factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public static async Task<HttpClient> SignedInClientAsync(WebApplicationFactory<Program> factory, string email, string password)
    {
        var client = NewClient(factory);
        var response = await PostFormAsync(client, "/Account/Login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("/Account/Login", response.Headers.Location?.ToString() ?? "", StringComparison.OrdinalIgnoreCase);
        return client;
    }

    /// <summary>GETs the form page for its antiforgery token, then POSTs the form the way the browser does.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, string formName, Dictionary<string, string> fields)
    {
        var page = await client.GetStringAsync(path);
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, $"No antiforgery token on {path}");
        var form = new Dictionary<string, string>(fields)
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        };
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    /// <summary>GETs the form page once, then returns a function that POSTs the form with that page's antiforgery token.</summary>
    public static async Task<Func<Dictionary<string, string>, Task<HttpResponseMessage>>> FormPosterAsync(HttpClient client, string path, string formName)
    {
        var page = await client.GetStringAsync(path);
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, $"No antiforgery token on {path}");
        var verification = WebUtility.HtmlDecode(token.Groups[1].Value);
        return fields => client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>(fields)
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = verification,
        }));
    }

    /// <summary>The sign-in cookie (<c>name=value</c>) a response set, for replaying it from another client later.</summary>
    public static string IdentityCookie(HttpResponseMessage response) =>
        (response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [])
            .Select(c => c.Split(';')[0])
            .Single(c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));

    /// <summary>Signs in with a fresh client and returns it together with the sign-in cookie it received.</summary>
    public static async Task<(HttpClient Client, string Cookie)> SignInKeepingCookieAsync(WebApplicationFactory<Program> factory, string email, string password)
    {
        var client = NewClient(factory);
        var response = await PostFormAsync(client, "/Account/Login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return (client, IdentityCookie(response));
    }

    /// <summary>GETs <paramref name="path"/> with only <paramref name="cookie"/> (a saved sign-in cookie), from a client without cookies of its own.</summary>
    public static async Task<HttpResponseMessage> ReplayAsync(WebApplicationFactory<Program> factory, string cookie, string path)
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    /// <summary>POSTs the portal's "Log out" form (its antiforgery token taken from a signed-in form page).</summary>
    public static async Task<HttpResponseMessage> SignOutAsync(HttpClient client, string returnUrl = "")
    {
        var page = await client.GetStringAsync("/Account/Manage/ChangePassword");
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, "No antiforgery token on /Account/Manage/ChangePassword");
        return await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["ReturnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
