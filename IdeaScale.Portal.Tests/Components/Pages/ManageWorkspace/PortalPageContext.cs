using System.Security.Claims;

using Bunit;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using MudBlazor;
using MudBlazor.Services;

namespace IdeaScale.Portal.Tests.Components.Pages.ManageWorkspace;

/// <summary>
/// bUnit context for the workspace pages, wired to the real app's services on a real seeded SQLite file
/// (PortalFactory): the pages' server queries run for real.
/// </summary>
public sealed class PortalPageContext : BunitContext
{
    public PortalPageContext()
    {
        App = new PortalFactory(null, new Dictionary<string, string?> { ["Seed:DemoProvisioningLog"] = "true" });
        Services.AddMudServices();
        Services.AddSingleton(App.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        Services.AddSingleton(App.Services.GetRequiredService<MemberDirectory>());
        Services.AddSingleton(App.Services.GetRequiredService<ProvisioningLog>());

        // Signed in as the seeded admin of ides (the services re-read the account from the database).
        var adminId = WithDbAsync(db => db.Users.Where(u => u.Email == "admin@ides.example").Select(u => u.Id).SingleAsync()).GetAwaiter().GetResult();
        var auth = AddAuthorization();
        auth.SetAuthorized("admin@ides.example");
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, adminId));
        JSInterop.Mode = JSRuntimeMode.Loose;
        Render<MudPopoverProvider>();
    }

    public PortalFactory App { get; }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await action(db);
    }

    /// <summary>MudBlazor's services are async-disposable only, so the context is disposed asynchronously.</summary>
    public async Task DisposeAllAsync()
    {
        await DisposeAsync();
        App.Dispose();
    }
}
