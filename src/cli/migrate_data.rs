//! `mycloud migrate-data --from URL --to URL`: copies every row from one database into an
//! empty one, SQLite or PostgreSQL either way, with ids and times unchanged. The files on
//! disk are named by those ids, so the data dir serves the new database as it is.

use tokio::sync::mpsc;

use crate::config::DatabaseUrl;
use crate::store::{Counts, Store};

/// Batches in flight between the reader and the writer: memory stays at a few thousand
/// rows however large the tables are.
const IN_FLIGHT: usize = 2;

pub async fn run(from: &DatabaseUrl, to: &DatabaseUrl) -> Result<(), String> {
    if let DatabaseUrl::Sqlite(path) = from
        && !path.is_file()
    {
        // Opening it would create an empty database and "copy" nothing.
        return Err(format!(
            "--from: there is no SQLite database at {}",
            path.display()
        ));
    }
    let source = open("--from", from).await?;
    let target = open("--to", to).await?;
    let copied = copy(&source, &target).await?;
    println!(
        "copied {copied} from {} to {}",
        source.dialect(),
        target.dialect()
    );
    let found = target
        .counts()
        .await
        .map_err(|e| format!("counting the rows in --to: {}", e.detail()))?;
    if found != copied {
        return Err(format!("after the copy --to holds {found}, not {copied}"));
    }
    println!("verified: --to now holds {found}");
    println!("files on disk are unchanged: serve the same --data-dir with the --to database");
    Ok(())
}

async fn open(flag: &str, url: &DatabaseUrl) -> Result<Store, String> {
    Store::open(url)
        .await
        .map_err(|e| format!("{flag}: cannot open the database: {}", e.detail()))
}

/// Streams the rows from `source` into `target`, the reader and the writer side by side.
async fn copy(source: &Store, target: &Store) -> Result<Counts, String> {
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    let (exported, imported) = tokio::join!(source.export(sender), target.import(receiver));
    match (exported, imported) {
        (_, Ok(Some(copied))) => Ok(copied),
        // When the writer fails, the reader's error only says nobody took its rows.
        (_, Err(e)) => Err(format!(
            "copying into --to failed, nothing was written: {}",
            e.detail()
        )),
        (Err(e), Ok(None)) => Err(format!(
            "reading --from failed, nothing was written: {}",
            e.detail()
        )),
        (Ok(()), Ok(None)) => Err("the copy ended early; nothing was written".into()),
    }
}
