using System.Net;
using System.Net.Http.Headers;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// The SCIM page's connection status and built-in connection test (issue 15, parts 2 and 3), in a real browser
/// against the running app, with a simulated Entra calling the workspace's own host; and the test of Entra's OAuth
/// token exchange with the client secret the admin pastes in.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class ConnectionInsightJourney(PortalAppHost host)
{
    /// <summary>An Entra-like list request on the workspace's own host (as the Tenant URL names it).</summary>
    private async Task<HttpStatusCode> EntraListUsersAsync(string workspaceHost, string token)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Users?filter=userName%20eq%20%22nobody%22");
        request.Headers.Host = workspaceHost;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("Azure-AD-SCIM-Provisioning/1.0");
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<IPage> SignInAsync(string email, string password)
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync(email, password);
        await LoginPage.WaitForCircuitAsync(page);
        return page;
    }

    [Fact]
    public async Task Admin_RegeneratesWhileEntraKeepsTheOldToken_StatusTurnsSilentAndSaysWhy()
    {
        var page = await SignInAsync("admin@acme.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("acme");
        var oldToken = await scim.ShowTokenAsync();
        Assert.Equal(HttpStatusCode.OK, await EntraListUsersAsync("acme.localhost:5080", oldToken));

        var newToken = await scim.RegenerateAsync("No grace period (stops now)");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await EntraListUsersAsync("acme.localhost:5080", oldToken));
        }

        // No reload: the open page re-reads the status on its own.
        await Assertions.Expect(scim.HealthChip).ToHaveAttributeAsync("data-state", "Silent");
        await Assertions.Expect(scim.HealthExplanation).ToContainTextAsync("still uses the old token");
        await Assertions.Expect(scim.HealthExplanation).ToContainTextAsync("Secret Token");
        await Assertions.Expect(page.GetByTestId("scim-quarantine-risk")).ToBeVisibleAsync();
        var link = await scim.HealthChip.GetAttributeAsync("href");
        Assert.NotNull(link);
        Assert.Contains("/workspaces/acme/manage/provisioning-log?", link, StringComparison.Ordinal);
        Assert.Contains("operation=AuthenticationFailure", link, StringComparison.Ordinal);
        Assert.Contains("outcome=Failure", link, StringComparison.Ordinal);
        await PortalAppHost.ScreenshotAsync(page, "scim-health-silent-old-token");

        // Entra gets the new token: the silence ends (3 of 5 requests still failed in the window).
        Assert.Equal(HttpStatusCode.OK, await EntraListUsersAsync("acme.localhost:5080", newToken));
        await Assertions.Expect(scim.HealthChip).Not.ToHaveAttributeAsync("data-state", "Silent");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_TestsConnection_PassesWhenHealthyAndExplainsTheFailureWhenScimIsDisabled()
    {
        var page = await SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("ides");

        var result = await scim.TestConnectionAsync();
        await Assertions.Expect(result).ToHaveAttributeAsync("data-passed", "true");
        await Assertions.Expect(result).ToContainTextAsync("will pass");
        await Assertions.Expect(page.GetByTestId("connection-test-entra")).ToContainTextAsync("will pass");
        await Assertions.Expect(page.GetByTestId("connection-test-okta")).ToContainTextAsync("will pass");
        await Assertions.Expect(page.GetByTestId("connection-probe")).ToHaveCountAsync(6);
        await page.GetByTestId("connection-probe").First.ClickAsync();
        var request = page.GetByTestId("probe-request").First;
        await Assertions.Expect(request).ToContainTextAsync("filter=userName eq");
        await Assertions.Expect(request).ToContainTextAsync("(redacted)");
        Assert.DoesNotContain(PortalAppHost.IdesToken, await page.ContentAsync(), StringComparison.Ordinal);
        await PortalAppHost.ScreenshotAsync(page, "scim-connection-test-passed");

        var csmPage = await SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        var console = new CsWorkspacesPage(csmPage);
        await console.GotoAsync();
        await console.SetScimAsync("Ideas Demo", enabled: false);
        try
        {
            await scim.GotoAsync("ides");
            await page.GetByTestId("scim-state-disabled").WaitForAsync();
            result = await scim.TestConnectionAsync();
            await Assertions.Expect(result).ToHaveAttributeAsync("data-passed", "false");
            await Assertions.Expect(result).ToContainTextAsync("will fail");
            await Assertions.Expect(result).ToContainTextAsync("SCIM provisioning is disabled");
            await Assertions.Expect(result).ToContainTextAsync("csm@ideascale.example");
            await Assertions.Expect(page.GetByTestId("connection-probe").First).ToContainTextAsync("HTTP 403");
            await PortalAppHost.ScreenshotAsync(page, "scim-connection-test-disabled");
        }
        finally
        {
            await console.SetScimAsync("Ideas Demo", enabled: true);
        }

        Assert.Equal(HttpStatusCode.OK, await EntraListUsersAsync("ides.localhost:5080", PortalAppHost.IdesToken));
        await csmPage.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_CreatesAnOAuthClientAndTestsItsSecret_OAuthProbesPassAndAWrongSecretIsExplained()
    {
        var page = await SignInAsync("admin@acme.example", PortalAppHost.AdminPassword);
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("acme");
        // No OAuth client yet: the connection test offers no secret field.
        await page.GetByTestId("connection-test").WaitForAsync();
        await Assertions.Expect(page.GetByTestId("connection-test-oauth")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Tab, new() { Name = "OAuth client credentials (Microsoft Entra ID)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create OAuth client" }).ClickAsync();
        var secret = (await page.GetByTestId("new-oauth-secret").InnerTextAsync()).Trim();
        Assert.StartsWith("iscs_", secret, StringComparison.Ordinal);
        try
        {
            // The admin pastes the secret (as it is in Entra's Client Secret) into the test: no reload needed.
            await Assertions.Expect(scim.ConnectionTestSecret).ToHaveAttributeAsync("type", "password");
            await Assertions.Expect(scim.ConnectionTestSecret).ToHaveAttributeAsync("autocomplete", "new-password");
            var result = await scim.TestConnectionAsync(secret);
            await Assertions.Expect(result).ToHaveAttributeAsync("data-passed", "true");
            await Assertions.Expect(page.GetByTestId("connection-test-entra-oauth")).ToContainTextAsync("will pass");
            await Assertions.Expect(page.GetByTestId("connection-test-oauth-result")).ToContainTextAsync("OAuth client credentials connection will pass");
            await Assertions.Expect(page.GetByTestId("connection-probe")).ToHaveCountAsync(9);
            await Assertions.Expect(scim.ConnectionTestSecret).ToHaveValueAsync("");
            var exchange = page.GetByTestId("connection-probe").Filter(new() { HasText = "Token exchange" });
            await Assertions.Expect(exchange).ToHaveAttributeAsync("data-passed", "true");
            await exchange.ClickAsync();
            await Assertions.Expect(exchange.GetByTestId("probe-request")).ToContainTextAsync("POST /oauth/token");
            await Assertions.Expect(exchange.GetByTestId("probe-request")).ToContainTextAsync("(redacted)");
            await Assertions.Expect(exchange.GetByTestId("probe-answer")).ToContainTextAsync("\"access_token\": \"•••••• (redacted)\"");
            Assert.DoesNotContain(secret, await exchange.InnerTextAsync(), StringComparison.Ordinal);
            await PortalAppHost.ScreenshotAsync(page, "scim-connection-test-oauth-passed");

            // A wrong secret: the exchange fails with what to do, the SCIM-token probes still pass.
            result = await scim.TestConnectionAsync("iscs_not-the-secret-entra-holds-0123456789abcdef");
            await Assertions.Expect(result).ToHaveAttributeAsync("data-passed", "false");
            await Assertions.Expect(result).ToContainTextAsync("OAuth connection will fail");
            await Assertions.Expect(result).ToContainTextAsync("wrong, expired or removed");
            await Assertions.Expect(result).ToContainTextAsync("Entra's Client Secret");
            await Assertions.Expect(page.GetByTestId("connection-test-entra-oauth")).ToContainTextAsync("will fail");
            await Assertions.Expect(page.GetByTestId("connection-test-entra")).ToContainTextAsync("will pass");
            await Assertions.Expect(page.GetByTestId("connection-test-okta")).ToContainTextAsync("will pass");
            await Assertions.Expect(page.GetByTestId("connection-probe")).ToHaveCountAsync(8);
            await PortalAppHost.ScreenshotAsync(page, "scim-connection-test-oauth-wrong-secret");
        }
        finally
        {
            // Leave acme as the other journeys expect it: without an OAuth client.
            await page.GetByRole(AriaRole.Tab, new() { Name = "OAuth client credentials (Microsoft Entra ID)" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke client" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
            await page.GetByTestId("oauth-no-client").WaitForAsync();
        }

        await Assertions.Expect(page.GetByTestId("connection-test-oauth")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
