using System.Net;
using System.Net.Http.Headers;
using System.Text;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>Issue 15 parts 1 and 4: the provisioning log as a story, read by admins and CSMs, and the SCIM disable reason.</summary>
[Collection(PortalE2E.Name)]
public sealed class ProvisioningLogJourney(PortalAppHost host)
{
    private const string EntraUserAgent = "Azure-AD-SCIM/1.0 (Azure AD SCIM Provisioning)";

    private async Task<(HttpStatusCode Status, string Body)> EntraAsync(HttpMethod method, string path, string? json = null)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PortalAppHost.IdesToken);
        request.Headers.UserAgent.ParseAdd(EntraUserAgent);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/scim+json");
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<IPage> SignInAsync(string email, string password)
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync(email, password);
        await LoginPage.WaitForCircuitAsync(page);
        return page;
    }

    [Fact]
    public async Task EntraPatch_AppearsInTheLogWithTheMembersNameAndTheChangedAttributes()
    {
        var userName = $"story.{Guid.NewGuid():N}"[..20] + "@ides.example";
        var (created, body) = await EntraAsync(HttpMethod.Post, "/scim/v2/Users",
            $$$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{{userName}}}","active":true,"title":"Engineer","name":{"givenName":"Ann"}}""");
        Assert.Equal(HttpStatusCode.Created, created);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        // Entra's shape: capitalised op names, a valueless path for a single attribute.
        var (patched, _) = await EntraAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
              {"op":"Replace","path":"title","value":"Lead"},{"op":"Replace","path":"name.givenName","value":"Anne"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, patched);

        var page = await SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await page.GotoAsync($"/workspaces/ides/manage/provisioning-log?text={Uri.EscapeDataString(userName)}&operation=Update");
        await LoginPage.WaitForCircuitAsync(page);
        var row = page.GetByTestId("log-table").Locator("tbody tr").First;
        await Assertions.Expect(row.GetByTestId("log-subject")).ToHaveTextAsync(userName);
        await Assertions.Expect(row.GetByTestId("log-summary")).ToContainTextAsync("title: Engineer → Lead");
        await Assertions.Expect(row.GetByTestId("log-summary")).ToContainTextAsync("name.givenName: Ann → Anne");
        await Assertions.Expect(row).ToContainTextAsync("Microsoft Entra ID");

        await row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Show event") }).ClickAsync();
        var changes = page.GetByTestId("log-detail-changes");
        await Assertions.Expect(changes.Locator("tr[data-attribute='title']")).ToContainTextAsync("Engineer");
        await Assertions.Expect(changes.Locator("tr[data-attribute='title']")).ToContainTextAsync("Lead");
        await PortalAppHost.ScreenshotAsync(page, "log-story-detail");
        await page.Keyboard.PressAsync("Escape");

        // The subject links to the member's panel, which lists the member's own history.
        await page.GotoAsync($"/workspaces/ides/manage/provisioning-log?text={Uri.EscapeDataString(userName)}&operation=Update");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByTestId("log-table").Locator("tbody tr").First.GetByTestId("log-subject").ClickAsync();
        await Assertions.Expect(page.GetByTestId("member-detail-title")).ToHaveTextAsync(userName);
        await Assertions.Expect(page.GetByTestId("member-history-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("member-history").Locator("tr").First).ToContainTextAsync("title: Engineer → Lead");

        // The back button returns to the filtered log.
        await page.GoBackAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("provisioning-log\\?text=.*operation=Update"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Csm_ReadsAnAssignedWorkspacesLog_AndNotAnUnassignedOne()
    {
        var page = await SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        var console = new CsWorkspacesPage(page);
        await console.GotoAsync();
        await Assertions.Expect(console.LogLink("nosso")).ToHaveCountAsync(0);
        await console.LogLink("ides").ClickAsync();

        await page.GetByRole(AriaRole.Heading, new() { Name = "Provisioning log", Exact = true }).WaitForAsync();
        await Assertions.Expect(page.GetByTestId("log-table").Locator("tbody tr").First).ToBeVisibleAsync();
        Assert.DoesNotContain("Access denied", await page.ContentAsync(), StringComparison.Ordinal);

        await page.GotoAsync("/workspaces/nosso/manage/provisioning-log");
        await Assertions.Expect(page.GetByText("Access denied").First).ToBeVisibleAsync();
        Assert.DoesNotContain("log-table", await page.ContentAsync(), StringComparison.Ordinal);
        var export = await page.APIRequest.GetAsync("/workspaces/nosso/manage/provisioning-log/export.csv");
        Assert.Equal(404, export.Status);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DisableReason_ShowsInTheLogTheConsoleRowAndTheScimPage()
    {
        const string reason = "Renewal pending: paused by E2E";
        var page = await SignInAsync("csm@ideascale.example", PortalAppHost.CsmPassword);
        var console = new CsWorkspacesPage(page);
        await console.GotoAsync();
        try
        {
            await console.SetScimAsync("Ideas Demo", enabled: false, reason: reason);
            await Assertions.Expect(console.DisabledBy("ides")).ToContainTextAsync("Disabled by csm@ideascale.example at ");
            await Assertions.Expect(console.DisabledBy("ides")).ToContainTextAsync(reason);
            var (status, _) = await EntraAsync(HttpMethod.Get, "/scim/v2/Users");
            Assert.Equal(HttpStatusCode.Forbidden, status);

            var admin = await SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
            await admin.GotoAsync("/workspaces/ides/manage/security/authentication/sso/scim");
            await LoginPage.WaitForCircuitAsync(admin);
            await Assertions.Expect(admin.GetByTestId("scim-disabled-reason")).ToContainTextAsync(reason);

            await admin.GotoAsync("/workspaces/ides/manage/provisioning-log?outcome=Failure");
            await LoginPage.WaitForCircuitAsync(admin);
            var refused = admin.GetByTestId("log-table").Locator("tbody tr").First;
            await Assertions.Expect(refused.GetByTestId("log-explanation")).ToContainTextAsync("SCIM was disabled for this workspace by csm@ideascale.example");
            await Assertions.Expect(refused.GetByTestId("log-explanation")).ToContainTextAsync(reason);

            await admin.GotoAsync("/workspaces/ides/manage/provisioning-log?operation=ScimDisabled");
            await LoginPage.WaitForCircuitAsync(admin);
            await Assertions.Expect(admin.GetByTestId("log-table").Locator("tbody tr").First).ToContainTextAsync(reason);
            await PortalAppHost.ScreenshotAsync(admin, "log-scim-disabled-reason");
            await admin.Context.CloseAsync();
        }
        finally
        {
            await console.SetScimAsync("Ideas Demo", enabled: true);
        }

        await page.Context.CloseAsync();
    }
}
