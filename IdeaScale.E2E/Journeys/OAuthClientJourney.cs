using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// A workspace admin sets up OAuth client credentials for Entra in a real browser: copies the client id, adds a
/// secret, and the IdP side (plain HTTP against the running app) gets a token and provisions; revoking in the UI
/// stops that token on the next request. Screenshots in light and dark mode.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class OAuthClientJourney(PortalAppHost host)
{
    [Fact]
    public async Task Admin_AddsSecretAndRevokes_TokenWorksThenGets401()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await LoginPage.WaitForCircuitAsync(page);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("ides");

        await page.GetByRole(AriaRole.Tab, new() { Name = "OAuth client credentials (Microsoft Entra ID)" }).ClickAsync();
        var section = page.GetByTestId("oauth-client-section");
        await section.WaitForAsync();
        Assert.Equal("http://ides.localhost:5080/oauth/token", (await page.GetByTestId("oauth-token-endpoint").InnerTextAsync()).Trim());

        var shownId = (await page.GetByTestId("oauth-client-id").InnerTextAsync()).Trim();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy OAuth client ID" }).ClickAsync();
        var clientId = await scim.ReadClipboardAsync(shownId);
        Assert.Equal(shownId, clientId);

        await page.GetByRole(AriaRole.Button, new() { Name = "Add a secret" }).ClickAsync();
        var secret = (await page.GetByTestId("new-oauth-secret").InnerTextAsync()).Trim();
        Assert.StartsWith("iscs_", secret, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByTestId("oauth-secret-row")).ToHaveCountAsync(2);
        await PortalAppHost.ScreenshotAsync(page, "scim-oauth-client-light");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await PortalAppHost.ScreenshotAsync(page, "scim-oauth-client-dark");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });

        using var idp = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var accessToken = await TokenAsync(idp, clientId, secret);
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(idp, accessToken));

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke client" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await page.GetByTestId("oauth-no-client").WaitForAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, await ListUsersAsync(idp, accessToken));
        await page.Context.CloseAsync();
    }

    private static async Task<string> TokenAsync(HttpClient client, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpStatusCode> ListUsersAsync(HttpClient client, string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Users?count=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
