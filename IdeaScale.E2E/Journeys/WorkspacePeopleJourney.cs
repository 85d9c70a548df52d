using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>The admin's read-only views of provisioned people: members (with the detail drawer), groups and the log.</summary>
[Collection(PortalE2E.Name)]
public sealed class WorkspacePeopleJourney(PortalAppHost host)
{
    [Fact]
    public async Task Admin_BrowsesMembersGroupsAndProvisioningLog()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);

        await page.GotoAsync("/workspaces/ides/manage/members");
        await LoginPage.WaitForCircuitAsync(page);
        var rows = page.GetByTestId("members-table").Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(6);
        await Assertions.Expect(page.GetByTestId("status-chip").Filter(new() { HasText = "Deactivated" })).ToHaveCountAsync(1);
        await PortalAppHost.ScreenshotAsync(page, "members");

        await page.GetByRole(AriaRole.Textbox, new() { Name = "Search members" }).FillAsync("hopper");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show details of grace.hopper@ides.example" }).ClickAsync();
        var detail = page.GetByTestId("member-detail");
        await Assertions.Expect(detail.Locator("tr[data-path='userName'] td")).ToHaveTextAsync("grace.hopper@ides.example");
        await Assertions.Expect(detail.Locator("tr[data-path='groups[0].display'] td")).ToHaveTextAsync("Engineering");
        await PortalAppHost.ScreenshotAsync(page, "members-detail-drawer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close member details" }).ClickAsync();

        await page.GotoAsync("/workspaces/ides/manage/groups");
        await LoginPage.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("groups-table").Locator("tbody tr")).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show members of Engineering" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("group-members-table").Locator("tbody tr")).ToHaveCountAsync(4);
        await PortalAppHost.ScreenshotAsync(page, "groups");

        await page.GotoAsync("/workspaces/ides/manage/provisioning-log");
        await LoginPage.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("log-table").Locator("tbody tr").First).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "provisioning-log");
        await page.GetByTestId("log-table").Locator("tbody tr").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("log-detail")).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "provisioning-log-detail");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close event details" }).ClickAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("OccurredAtUtc,", csv, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    /// <summary>Issue 11 item 13: a manager reference that is no user of the workspace (Okta sends a username) is shown as unresolved.</summary>
    [Fact]
    public async Task Admin_OpensMemberWithUnresolvedManager_SeesTheReferenceAsUnresolved()
    {
        using (var scim = new HttpClient { BaseAddress = new Uri(host.BaseUrl + "/") })
        {
            scim.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortalAppHost.IdesToken);
            var found = System.Text.Json.Nodes.JsonNode.Parse(await scim.GetStringAsync(
                "scim/v2/Users?filter=" + Uri.EscapeDataString("userName eq \"ada.lovelace@ides.example\"")))!;
            var id = found["Resources"]![0]!["id"]!.GetValue<string>();
            using var patch = new HttpRequestMessage(HttpMethod.Patch, $"scim/v2/Users/{id}")
            {
                Content = new StringContent(
                    """{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"okta.boss@ides.example"}]}""",
                    System.Text.Encoding.UTF8, "application/scim+json"),
            };
            using var patched = await scim.SendAsync(patch);
            Assert.Equal(System.Net.HttpStatusCode.OK, patched.StatusCode);
        }

        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await page.GotoAsync("/workspaces/ides/manage/members");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Search members" }).FillAsync("lovelace");
        await Assertions.Expect(page.GetByTestId("members-table").Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show details of ada.lovelace@ides.example" }).ClickAsync();

        var detail = page.GetByTestId("member-detail");
        await Assertions.Expect(detail.Locator("tr[data-path='manager.value'] td")).ToHaveTextAsync("unresolved: okta.boss@ides.example");
        await Assertions.Expect(detail.Locator("tr[data-path='manager.displayName']")).ToHaveCountAsync(0);
        await PortalAppHost.ScreenshotAsync(page, "members-detail-unresolved-manager");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AdminOfIdes_OpensAcmeMembers_SeesNoAcmeData()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);

        await page.GotoAsync("/workspaces/acme/manage/members");

        await Assertions.Expect(page.GetByTestId("members-table")).ToHaveCountAsync(0);
        Assert.DoesNotContain("@acme.example", await page.ContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
