using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

using Microsoft.AspNetCore.WebUtilities;

namespace IdeaScale.Portal.Tests.Scim.Credentials;

/// <summary>
/// The authorization code grant as Okta drives it, with plain HTTP against the real app: a platform client registered
/// through configuration, PKCE, the consent form (antiforgery token and all), the code exchange and refreshes.
/// </summary>
public static partial class AuthorizationCodeKit
{
    public const string ClientId = "okta-test-client";
    public const string ClientSecret = "okta-test-secret-0123456789abcdefghijklmnopqrstuv";
    public const string RedirectUri = "http://127.0.0.1:9/admin/app/cpc/ideascale/oauth/callback";

    /// <summary>Configuration registering the test's Okta-like platform client.</summary>
    public static Dictionary<string, string?> OktaClient(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["OAuth:Clients:okta:ClientId"] = ClientId,
            ["OAuth:Clients:okta:ClientSecret"] = ClientSecret,
            ["OAuth:Clients:okta:RedirectUris:0"] = RedirectUri,
            ["OAuth:Clients:okta:DisplayName"] = "Okta",
            ["Scim:RateLimit:RequestsPerSecond"] = "0",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public sealed record Pkce(string Verifier, string Challenge);

    public static Pkce NewPkce()
    {
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        return new Pkce(verifier, WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    /// <summary>The authorization request URL (relative) with the given parameters; a null value leaves a parameter out.</summary>
    public static string AuthorizeUrl(Pkce? pkce, string? redirectUri = RedirectUri, string scope = "scim offline_access", string state = "state-123",
        string? method = "S256", string clientId = ClientId)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = scope,
            ["state"] = state,
            ["code_challenge"] = pkce?.Challenge,
            ["code_challenge_method"] = pkce is null ? null : method,
        };
        return QueryHelpers.AddQueryString("oauth/authorize", query.Where(p => p.Value is not null));
    }

    /// <summary>The hidden fields (antiforgery token included) of the consent form on <paramref name="html"/>.</summary>
    public static Dictionary<string, string> HiddenFields(string html)
    {
        var fields = new Dictionary<string, string>();
        foreach (Match m in HiddenInput().Matches(html))
        {
            fields[WebUtility.HtmlDecode(m.Groups[1].Value)] = WebUtility.HtmlDecode(m.Groups[2].Value);
        }

        return fields;
    }

    /// <summary>Opens the consent page (asserting it is one) and returns its form's hidden fields.</summary>
    public static async Task<Dictionary<string, string>> OpenConsentAsync(HttpClient browser, string authorizeUrl)
    {
        var page = await browser.GetAsync(authorizeUrl);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{(int)page.StatusCode} {page.Headers.Location} {html}");
        Assert.Contains("data-testid=\"oauth-consent\"", html, StringComparison.Ordinal);
        return HiddenFields(html);
    }

    /// <summary>Posts the consent form with the given decision and workspace; returns the (unfollowed) answer.</summary>
    public static Task<HttpResponseMessage> DecideAsync(HttpClient browser, Dictionary<string, string> hidden, string decision, Guid? workspaceId)
    {
        var form = new Dictionary<string, string>(hidden) { ["consent_decision"] = decision };
        if (workspaceId is { } id)
        {
            form["consent_workspace"] = id.ToString();
        }

        return browser.PostAsync("oauth/authorize/consent", new FormUrlEncodedContent(form));
    }

    /// <summary>The parameters of a redirect to the client's redirect URI (asserting it goes there).</summary>
    public static Dictionary<string, string> CallbackParameters(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(RedirectUri + "?", location, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(new Uri(location).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>Signs in as <paramref name="email"/>, consents for <paramref name="workspaceId"/> and returns the code.</summary>
    public static async Task<string> CodeAsync(HttpClient browser, Pkce pkce, Guid workspaceId)
    {
        var hidden = await OpenConsentAsync(browser, AuthorizeUrl(pkce));
        var callback = CallbackParameters(await DecideAsync(browser, hidden, "approve", workspaceId));
        Assert.Equal("state-123", callback["state"]);
        return callback["code"];
    }

    public static Task<HttpResponseMessage> ExchangeCodeAsync(HttpClient client, string code, string verifier, string redirectUri = RedirectUri) =>
        client.PostAsync(OAuthTestKit.TokenPath, OAuthTestKit.Form(
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectUri), ("code_verifier", verifier),
            ("client_id", ClientId), ("client_secret", ClientSecret)));

    public static Task<HttpResponseMessage> RefreshAsync(HttpClient client, string refreshToken) =>
        client.PostAsync(OAuthTestKit.TokenPath, OAuthTestKit.Form(
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", ClientId), ("client_secret", ClientSecret)));

    /// <summary>Access and refresh token of a successful token response.</summary>
    public static async Task<(string Access, string Refresh)> TokensAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token request failed: {(int)response.StatusCode} {text}");
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        return (body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    public static Task<HttpClient> SignedInAsync(PortalFactory factory, string email) =>
        FormSignIn.SignedInClientAsync(factory, email, PortalFactory.AdminPassword);

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenInput();
}
