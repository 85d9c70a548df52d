using IdeaScale.E2E.AppHost;
using IdeaScale.E2E.Pages;

using Microsoft.Playwright;

namespace IdeaScale.E2E.Journeys;

[Collection(PortalE2E.Name)]
public sealed class SignInJourney(PortalAppHost host)
{
    [Fact]
    public async Task Admin_SignsIn_SeesDashboardWithOwnWorkspaceOnly()
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin@ides.example", PortalAppHost.AdminPassword);
        await LoginPage.WaitForCircuitAsync(page);

        await page.GetByRole(AriaRole.Heading, new() { Name = "Your workspaces" }).WaitForAsync();
        var cards = page.GetByTestId("workspace-card");
        await Assertions.Expect(cards).ToHaveCountAsync(1);
        await Assertions.Expect(cards.First).ToContainTextAsync("Ideas Demo");
        await PortalAppHost.ScreenshotAsync(page, "dashboard-admin-ides");
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("admin@ides.example", PortalAppHost.AdminPassword, 1)]
    [InlineData("admin@acme.example", PortalAppHost.AdminPassword, 1)]
    [InlineData("admin@nosso.example", PortalAppHost.AdminPassword, 1)]
    [InlineData("csm@ideascale.example", PortalAppHost.CsmPassword, 2)]
    public async Task DemoAccount_SignsInAndOut(string email, string password, int workspaceCount)
    {
        var page = await host.NewPageAsync();
        await new LoginPage(page).SignInAsync(email, password);
        await LoginPage.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("workspace-card")).ToHaveCountAsync(workspaceCount);
        await Assertions.Expect(page.GetByText(email)).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);

        // Signed out: the dashboard sends the browser back to the sign-in page.
        await page.GotoAsync("/");
        await page.WaitForURLAsync(url => url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase), PortalAppHost.Navigated);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_WithWrongPassword_StaysOnLoginWithError()
    {
        var page = await host.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Email").FillAsync("admin@ides.example");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("Invalid login attempt")).ToBeVisibleAsync();
        Assert.Contains("/Account/Login", page.Url, StringComparison.OrdinalIgnoreCase);
        await PortalAppHost.ScreenshotAsync(page, "login-error");
        await page.Context.CloseAsync();
    }
}
