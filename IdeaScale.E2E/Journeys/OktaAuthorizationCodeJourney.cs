using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// Okta's "Authenticate with IdeaScale" in a real browser: the authorization request (PKCE S256) sends the signed-out
/// admin to the sign-in page and back to the consent page, the admin picks the workspace and allows access, and the
/// browser is redirected to the client's redirect URI with the code (answered by Playwright, no traffic leaves the
/// machine). The test then acts as Okta: exchanges the code, provisions, refreshes (the previous refresh token works
/// inside the reuse leeway and not after it, on the app's clock), and after the admin revokes the grant on the SCIM
/// page the next SCIM request gets 401. Screenshots of the consent page and the grant list in light and dark mode.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class OktaAuthorizationCodeJourney(PortalAppHost host)
{
    [Fact]
    public async Task Admin_ConsentsInBrowser_OktaProvisionsRefreshes_RevokeGives401()
    {
        var page = await host.NewPageAsync();
        var csp = await CspViolations.AttachAsync(page);
        await page.Context.RouteAsync(PortalAppHost.OktaRedirectUri + "**", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/plain", Body = "Okta callback" }));

        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var challenge = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = QueryHelpers.AddQueryString("/oauth/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = PortalAppHost.OktaClientId,
            ["redirect_uri"] = PortalAppHost.OktaRedirectUri,
            ["scope"] = "scim offline_access",
            ["state"] = "okta-state-42",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        });

        // Not signed in: the portal's sign-in page, then back to the consent page.
        await page.GotoAsync(authorize);
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await page.GetByLabel("Email").FillAsync("admin@ides.example");
        await page.GetByLabel("Password").FillAsync(PortalAppHost.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await page.GetByTestId("oauth-consent").WaitForAsync();
        Assert.Contains("Connect Okta", await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByLabel("Ideas Demo").CheckAsync();
        await PortalAppHost.ScreenshotAsync(page, "oauth-consent-light");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await PortalAppHost.ScreenshotAsync(page, "oauth-consent-dark");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });

        await page.GetByRole(AriaRole.Button, new() { Name = "Allow access" }).ClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith(PortalAppHost.OktaRedirectUri + "?", StringComparison.Ordinal));
        var callback = QueryHelpers.ParseQuery(new Uri(page.Url).Query);
        Assert.Equal("okta-state-42", callback["state"].ToString());
        var code = callback["code"].ToString();
        Assert.NotEmpty(code);

        // The test is Okta now.
        using var okta = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var (access, refresh) = await TokensAsync(await TokenAsync(okta,
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", PortalAppHost.OktaRedirectUri), ("code_verifier", verifier)));
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(okta, access));

        var (renewedAccess, renewed) = await TokensAsync(await TokenAsync(okta, ("grant_type", "refresh_token"), ("refresh_token", refresh)));
        Assert.NotEqual(refresh, renewed);
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(okta, renewedAccess));
        // A retry with the previous refresh token inside the leeway works; after it (the app's clock moved on) it does not.
        await TokensAsync(await TokenAsync(okta, ("grant_type", "refresh_token"), ("refresh_token", refresh)));
        host.Clock.Offset = TimeSpan.FromMinutes(1);
        try
        {
            using var replay = await TokenAsync(okta, ("grant_type", "refresh_token"), ("refresh_token", refresh));
            Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
            Assert.Equal("invalid_grant", JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }
        finally
        {
            host.Clock.Offset = TimeSpan.Zero;
        }

        // The admin sees the grant on the SCIM page and revokes it.
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("ides");
        await page.GetByRole(AriaRole.Tab, new() { Name = "OAuth for Okta" }).ClickAsync();
        var row = page.GetByTestId("oauth-grant-row");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("Okta");
        await Assertions.Expect(row).ToContainTextAsync("admin@ides.example");
        await PortalAppHost.ScreenshotAsync(page, "scim-oauth-grants-light");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await PortalAppHost.ScreenshotAsync(page, "scim-oauth-grants-dark");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });

        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(okta, renewedAccess));
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke the OAuth grant of Okta given by admin@ides.example" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke access", Exact = true }).ClickAsync();
        await page.GetByTestId("oauth-no-grant").WaitForAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, await ListUsersAsync(okta, renewedAccess));
        using var afterRevoke = await TokenAsync(okta, ("grant_type", "refresh_token"), ("refresh_token", renewed));
        Assert.Equal(HttpStatusCode.BadRequest, afterRevoke.StatusCode);
        Assert.True(csp.All.Count == 0, string.Join('\n', csp.All));
        await page.Context.CloseAsync();
    }

    private static Task<HttpResponseMessage> TokenAsync(HttpClient client, params (string Key, string Value)[] fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(PortalAppHost.OktaClientId)}:{Uri.EscapeDataString(PortalAppHost.OktaClientSecret)}")));
        return client.SendAsync(request);
    }

    private static async Task<(string Access, string Refresh)> TokensAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            var json = JsonDocument.Parse(body).RootElement;
            return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
        }
    }

    private static async Task<HttpStatusCode> ListUsersAsync(HttpClient client, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Users?count=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
