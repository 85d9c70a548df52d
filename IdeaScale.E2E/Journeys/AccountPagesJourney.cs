using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

/// <summary>
/// The sign-in, account and access-denied pages (static SSR, plain markup) wear the portal's top bar and colours, follow
/// dark mode, and give a signed-in account a way back and a way to switch account; the 404 and access-denied texts say
/// what happened.
/// </summary>
[Collection(PortalE2E.Name)]
public sealed class AccountPagesJourney(PortalAppHost host)
{
    private static Task<string> BackgroundAsync(IPage page, string selector) =>
        page.EvaluateAsync<string>("s => getComputedStyle(document.querySelector(s)).backgroundColor", selector);

    [Fact]
    public async Task SignInPage_LightAndDark_HasThePortalsTopBarAndColours()
    {
        var page = await host.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        var header = page.GetByTestId("account-header");
        await Assertions.Expect(header).ToContainTextAsync("IdeaScale Portal");
        await Assertions.Expect(header.GetByRole(AriaRole.Link, new() { Name = "IdeaScale Portal" })).ToHaveAttributeAsync("href", "/");
        await Assertions.Expect(page.GetByTestId("account-who")).ToHaveCountAsync(0);
        // The app bar's colour of PortalTheme (light: #c2501a), on a light page.
        Assert.Equal("rgb(194, 80, 26)", await BackgroundAsync(page, ".account-header"));
        Assert.Equal("rgb(255, 255, 255)", await BackgroundAsync(page, "body"));
        await Assertions.Expect(page.Locator(".btn-primary")).ToHaveCSSAsync("background-color", "rgb(194, 80, 26)");
        await PortalAppHost.ScreenshotAsync(page, "account-login-light");

        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        Assert.Equal("rgb(43, 43, 51)", await BackgroundAsync(page, ".account-header"));
        Assert.Equal("rgb(50, 51, 61)", await BackgroundAsync(page, "body"));
        // Buttons and fields fade to their new colours (Bootstrap's transitions): wait for them.
        await Assertions.Expect(page.Locator(".btn-primary")).ToHaveCSSAsync("background-color", "rgb(255, 138, 80)");
        await Assertions.Expect(page.Locator("input[type=password]")).ToHaveCSSAsync("background-color", "rgb(55, 55, 64)");
        await PortalAppHost.ScreenshotAsync(page, "account-login-dark");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignedIn_AccountPage_SaysWhoAndSwitchAccountSignsOutToTheSignInPage()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@nosso.example", PortalAppHost.AdminPassword);
        await page.GotoAsync("/Account/Manage");
        var who = page.GetByTestId("account-who");
        await Assertions.Expect(who).ToContainTextAsync("Signed in as admin@nosso.example");
        await Assertions.Expect(who.GetByRole(AriaRole.Link, new() { Name = "Back to the dashboard" })).ToHaveAttributeAsync("href", "/");

        await who.GetByRole(AriaRole.Button, new() { Name = "Switch account" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await Assertions.Expect(page.GetByLabel("Email")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("account-who")).ToHaveCountAsync(0);

        // Signed out: the dashboard asks for a sign-in.
        await page.GotoAsync("/");
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnotherWorkspacesPage_AccessDeniedNamesTheAccountAndWhoMayOpenItAndOffersSwitchAccount()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);

        // Loaded as a page, another workspace's page is refused by its endpoint: the static access-denied page.
        await page.GotoAsync("/workspaces/acme/manage/members");
        await page.WaitForURLAsync(url => url.Contains("/Account/AccessDenied", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        var denied = page.GetByTestId("access-denied");
        await Assertions.Expect(denied).ToContainTextAsync("You are signed in as admin@ides.example");
        await Assertions.Expect(denied).ToContainTextAsync("that workspace's admins");
        await Assertions.Expect(denied).ToContainTextAsync("assigned Customer Success Manager");
        await Assertions.Expect(denied.GetByRole(AriaRole.Button, new() { Name = "Switch account" })).ToBeVisibleAsync();
        await Assertions.Expect(denied.GetByRole(AriaRole.Link, new() { Name = "Back to the dashboard" })).ToHaveAttributeAsync("href", "/");
        Assert.DoesNotContain("Acme Innovation", await page.ContentAsync(), StringComparison.Ordinal);

        // Reached by navigation inside the circuit, the router's notice says the same.
        await page.GotoAsync("/");
        await LoginPage.WaitForCircuitAsync(page);
        await page.EvaluateAsync("() => Blazor.navigateTo('/workspaces/acme/manage/members')");
        var notice = page.GetByTestId("not-authorized");
        await Assertions.Expect(notice).ToContainTextAsync("You are signed in as admin@ides.example");
        await Assertions.Expect(notice).ToContainTextAsync("assigned Customer Success Manager");
        await Assertions.Expect(notice.GetByRole(AriaRole.Button, new() { Name = "Switch account" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UnknownAddress_NotFoundSaysThePageDoesNotExistAndLinksHome()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);

        var response = await page.GotoAsync("/no-such-page");
        Assert.Equal(404, response?.Status);
        var notFound = page.GetByTestId("not-found");
        await Assertions.Expect(notFound).ToContainTextAsync("This page does not exist.");
        await Assertions.Expect(notFound).Not.ToContainTextAsync("workspace you do not manage");
        await Assertions.Expect(notFound.GetByRole(AriaRole.Link, new() { Name = "Back to the dashboard" })).ToHaveAttributeAsync("href", "/");
        await page.Context.CloseAsync();
    }
}
