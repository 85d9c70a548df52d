using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class ManagerReferenceAsSent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ManagerValue",
                table: "Members",
                type: "TEXT",
                nullable: true);

            // Existing managers were all linked users: their reference is the id, as SCIM returns it (lower-case "D"
            // form). Portable SQL (SQLite stores the GUID as upper-case text, PostgreSQL as uuid).
            migrationBuilder.Sql("""UPDATE "Members" SET "ManagerValue" = lower(CAST("ManagerId" AS TEXT)) WHERE "ManagerId" IS NOT NULL;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ManagerValue",
                table: "Members");
        }
    }
}
