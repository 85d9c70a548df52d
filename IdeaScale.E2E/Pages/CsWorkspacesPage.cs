using Microsoft.Playwright;

namespace IdeaScale.E2E.Pages;

/// <summary>The customer-success console at /customer-success/workspaces.</summary>
public sealed class CsWorkspacesPage(IPage page)
{
    public async Task GotoAsync()
    {
        await page.GotoAsync("/customer-success/workspaces");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Workspaces", Exact = true }).WaitForAsync();
    }

    public ILocator ScimSwitch(string workspaceName) =>
        page.GetByRole(AriaRole.Switch, new() { Name = $"SCIM enabled for {workspaceName}", Exact = true });

    /// <summary>
    /// Flips the workspace's SCIM switch, confirms (disabling: gives <paramref name="reason"/>, after checking that the
    /// destructive button is neither focused nor enabled before a reason is typed), and waits for the result snackbar.
    /// </summary>
    public async Task SetScimAsync(string workspaceName, bool enabled, string? screenshotOfConfirmation = null, string reason = "E2E maintenance window")
    {
        var toggle = ScimSwitch(workspaceName);
        Assert.Equal(!enabled, await toggle.IsCheckedAsync());
        await toggle.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByText(enabled ? $"Enable SCIM for {workspaceName}?" : $"Disable SCIM for {workspaceName}?").WaitForAsync();
        if (screenshotOfConfirmation is not null)
        {
            await AppHost.PortalAppHost.ScreenshotAsync(page, screenshotOfConfirmation);
        }

        if (!enabled)
        {
            // The destructive button is neither focused nor usable until a reason is typed.
            var confirm = dialog.GetByRole(AriaRole.Button, new() { Name = "Disable SCIM", Exact = true });
            await Assertions.Expect(confirm).ToBeDisabledAsync();
            await Assertions.Expect(confirm).Not.ToBeFocusedAsync();
            await dialog.GetByTestId("disable-reason").FillAsync(reason);
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = enabled ? "Enable SCIM" : "Disable SCIM", Exact = true }).ClickAsync();
        await page.GetByText(enabled ? $"SCIM enabled for {workspaceName}." : $"SCIM disabled for {workspaceName}.").WaitForAsync();
        await Assertions.Expect(toggle).ToBeCheckedAsync(new() { Checked = enabled });
    }

    /// <summary>The row's "disabled by … at …: reason" line.</summary>
    public ILocator DisabledBy(string slug) => page.GetByTestId($"scim-disabled-by-{slug}");

    /// <summary>The row's link to the workspace's provisioning log (shown to its assigned CSM and to leads).</summary>
    public ILocator LogLink(string slug) => page.GetByTestId($"log-link-{slug}");
}
