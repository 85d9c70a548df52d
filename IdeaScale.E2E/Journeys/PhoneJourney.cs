using System.Net;
using System.Net.Http.Headers;
using System.Text;

using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>The portal on a phone (390 × 844): nothing runs past the screen's edge, and the SCIM page puts first what is needed first.</summary>
[Collection(PortalE2E.Name)]
public sealed class PhoneJourney(PortalAppHost host)
{
    private const int Width = 390;

    /// <summary>A userName without a break opportunity, longer than a phone is wide.</summary>
    private static readonly string LongUserName = "phone.journey." + new string('x', 70) + "@ides.example";

    private async Task<IPage> PhonePageAsync()
    {
        var page = await host.NewPageAsync();
        await page.SetViewportSizeAsync(Width, 844);
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        return page;
    }

    /// <summary>Elements (by description) whose content is wider than their box, or whose box ends past the screen.</summary>
    private static Task<string[]> OverflowingAsync(IPage page, string selector) => page.EvaluateAsync<string[]>(
        """
        selector => [...document.querySelectorAll(selector)]
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(e => (e.dataset.label || e.tagName) + ': ' + e.textContent.trim().slice(0, 60))
        """, selector);

    [Fact]
    public async Task Admin_OnAPhone_LogCardsWrapLongValuesAndThePanelFitsTheScreen()
    {
        using (var scim = new HttpClient { BaseAddress = new Uri(host.BaseUrl + "/") })
        {
            scim.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PortalAppHost.IdesToken);
            using var content = new StringContent(
                $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{LongUserName}}","externalId":"{{new string('e', 60)}}","active":true}""",
                Encoding.UTF8, "application/scim+json");
            using var created = await scim.PostAsync("scim/v2/Users", content);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var page = await PhonePageAsync();
        await page.GotoAsync("/workspaces/ides/manage/provisioning-log?text=phone.journey");
        await LoginPage.WaitForCircuitAsync(page);
        var cards = page.GetByTestId("log-table").Locator("tbody tr");
        await Assertions.Expect(cards.Filter(new() { HasText = LongUserName }).First).ToBeVisibleAsync();
        await PortalAppHost.ScreenshotAsync(page, "phone-provisioning-log");

        Assert.Empty(await OverflowingAsync(page, "[data-testid=log-table] tbody td"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"));

        // The member's side panel is no wider than the screen.
        await page.GotoAsync("/workspaces/ides/manage/members");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Search members" }).FillAsync("phone.journey");
        await Assertions.Expect(page.GetByTestId("members-table").Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Show details of {LongUserName}" }).ClickAsync();
        var panel = page.Locator("aside[aria-label='Member details']");
        await Assertions.Expect(panel).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await Assertions.Expect(panel.Locator("tr[data-path='userName'] td")).ToHaveTextAsync(LongUserName);
        var box = await panel.BoundingBoxAsync() ?? throw new InvalidOperationException("The panel has no box.");
        Assert.True(box.Width <= Width, $"The panel is {box.Width}px wide on a {Width}px screen.");
        Assert.Empty(await OverflowingAsync(page, "aside[aria-label='Member details'] tr[data-path] td"));
        await PortalAppHost.ScreenshotAsync(page, "phone-member-panel");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_OnAPhone_ScimPageShowsUrlAndTokenBeforeTheQrCodeAndEveryTabIsReachable()
    {
        var page = await PhonePageAsync();
        var scim = new ScimSettingsPage(page);
        await scim.GotoAsync("ides");
        await PortalAppHost.ScreenshotAsync(page, "phone-scim");

        var url = await scim.BaseUrl.BoundingBoxAsync() ?? throw new InvalidOperationException("No base URL box.");
        var token = await scim.Token.BoundingBoxAsync() ?? throw new InvalidOperationException("No token box.");
        var qr = await page.GetByRole(AriaRole.Img, new() { Name = "QR code of the SCIM base URL" }).BoundingBoxAsync()
            ?? throw new InvalidOperationException("No QR code box.");
        Assert.True(url.Y < token.Y && token.Y + token.Height <= qr.Y, $"URL at {url.Y}, token at {token.Y}, QR code at {qr.Y}.");
        Assert.True(url.X + url.Width <= Width && token.X + token.Width <= Width);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"));

        // Every tab of both tab bars is on the screen (none scrolled out of a one-row bar), and opens its panel.
        var offScreen = await page.EvaluateAsync<string[]>(
            """
            () => [...document.querySelectorAll('[role=tab]')]
                .filter(t => { const r = t.getBoundingClientRect(); return r.left < 0 || r.right > document.documentElement.clientWidth; })
                .map(t => t.textContent.trim())
            """);
        Assert.Empty(offScreen);
        Assert.Equal(5, await page.GetByRole(AriaRole.Tab).CountAsync());
        await page.GetByRole(AriaRole.Tab, new() { Name = "OAuth for Okta" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "OAuth for Okta" })).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "OAuth for Okta" })).ToBeInViewportAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Okta", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("In the Okta Admin Console open")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
