using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// Several instances behind a sticky proxy (docs/deploy.md, "Sticky sessions and the reconnect UI"): when the
/// instance holding a tab's circuit goes away, the tab reconnects through the proxy to a live instance, which does not
/// know the circuit; the page reloads by itself there and works, still signed in (one key ring in the database).
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class InstanceFailoverJourney(PortalAppHost host)
{
    [Fact]
    public async Task CircuitInstanceGoesAway_PageReloadsOnTheLiveInstanceStillSignedIn()
    {
        using var other = host.StartAnotherInstance(out var otherUrl);
        var first = new Uri(host.BaseUrl);
        await using var proxy = new LoadBalancer(first);
        var page = await host.NewPageAsync(proxy.BaseUrl);
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await page.GotoAsync("/workspaces/ides/manage/members");
        await LoginPage.WaitForCircuitAsync(page);
        var rows = page.GetByTestId("members-table").Locator("tbody tr");
        // The shared host's ides directory: the six demo members plus whatever earlier journeys provisioned.
        await Assertions.Expect(rows.First).ToBeVisibleAsync();
        var members = await rows.CountAsync();
        Assert.Equal(0, proxy.ConnectionsTo(otherUrl));
        // A mark in this document: a reload replaces the document and loses it.
        await page.EvaluateAsync("() => { window.beforeFailover = true; }");

        proxy.FailOverTo(otherUrl);

        await page.WaitForFunctionAsync("() => window.beforeFailover === undefined", null, new() { Timeout = 60_000 });
        await LoginPage.WaitForCircuitAsync(page);
        Assert.EndsWith("/workspaces/ides/manage/members", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(rows).ToHaveCountAsync(members);
        // The live circuit is the other instance's, and it answers events: the search narrows the table.
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Search members" }).FillAsync("hopper");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        Assert.True(proxy.ConnectionsTo(otherUrl) > 0, "the reloaded page came from the other instance");
        await page.Context.CloseAsync();
    }
}
